"""A local HTTP server on 127.0.0.1 that serves byte strings, for download tests.

It honours `Range: bytes=N-` requests (answering 206), and can be told to fail
a path with 503 a number of times, or to cut a response short, before serving
it properly. Every request is recorded as `(path, range header or None)`.
"""

import http.server
import threading


class FixtureServer:
    def __init__(self):
        self.files = {}
        self.failures_left = {}
        self.cuts_left = {}
        self.requests = []
        self._server = None

    def add(self, path, data, fail_times=0, cut_times=0):
        self.files[path] = data
        self.failures_left[path] = fail_times
        self.cuts_left[path] = cut_times

    def url(self, path):
        host, port = self._server.server_address
        return f"http://{host}:{port}{path}"

    def requests_for(self, path):
        return [request for request in self.requests if request[0] == path]

    def __enter__(self):
        fixture = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                range_header = self.headers.get("Range")
                fixture.requests.append((self.path, range_header))
                if self.path not in fixture.files:
                    self.send_error(404)
                    return
                if fixture.failures_left[self.path] > 0:
                    fixture.failures_left[self.path] -= 1
                    self.send_error(503)
                    return
                data = fixture.files[self.path]
                start = 0
                if range_header and range_header.startswith("bytes="):
                    start = int(range_header[len("bytes=") :].split("-")[0])
                    if start >= len(data):
                        self.send_error(416)
                        return
                body = data[start:]
                self.send_response(206 if start else 200)
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if fixture.cuts_left[self.path] > 0:
                    fixture.cuts_left[self.path] -= 1
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
