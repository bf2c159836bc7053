"""customertracker: lists the customers table over HTTP (python3 standard library only)."""
import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        services = json.loads(os.environ.get("STACKATO_SERVICES", "{}"))
        body = json.dumps({"app": "customertracker", "services": sorted(services)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
