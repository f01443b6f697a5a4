#!/usr/bin/env python3
"""Upload a file through a presigned PUT URL with Python's standard library only (urllib.request, no packages).

    python3 upload.py URL FILE ["Header: value"]...

Send exactly the headers the URL signed (`oss-presign presign` prints them). urllib.request adds
`Content-Type: application/x-www-form-urlencoded` to every request with a body that has none, and OSS rebuilds the
signature from the Content-Type it receives: so presign with a Content-Type and pass that same value here.
Prints the HTTP status (and the error body); exits 0 on 2xx, 1 otherwise.
"""
import os
import sys
import urllib.error
import urllib.request


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    url, path, *header_args = argv
    headers = {}
    for header in header_args:
        name, _, value = header.partition(":")
        headers[name.strip()] = value.strip()
    headers["Content-Length"] = str(os.path.getsize(path))
    with open(path, "rb") as body:  # streamed by http.client in blocks, never read whole
        request = urllib.request.Request(url, data=body, headers=headers, method="PUT")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                print(response.status, response.headers.get("ETag", ""))
                return 0
        except urllib.error.HTTPError as error:
            print(error.code, error.read().decode("utf-8", "replace"))
            return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
