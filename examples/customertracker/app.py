"""customertracker: lists the customers table over HTTP.

Python's standard library has no MySQL driver, so the rows come from the mysql client program,
with the password in its environment (MYSQL_PWD), never in its arguments.
"""
import json
import os
import subprocess
from http.server import BaseHTTPRequestHandler, HTTPServer


def customers():
    creds = json.loads(os.environ["STACKATO_SERVICES"])["customerdb"]
    out = subprocess.run(
        ["mysql", "--batch", "--skip-column-names", "-h", creds["hostname"], "-P", str(creds["port"]),
         "-u", creds["user"], creds["name"], "-e", "SELECT id, customername FROM customers ORDER BY id"],
        env={"MYSQL_PWD": creds["password"], "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        capture_output=True, text=True, check=True).stdout
    return [{"id": int(i), "name": n} for i, n in (line.split("\t", 1) for line in out.splitlines())]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            body, status = json.dumps({"app": "customertracker", "customers": customers()}), 200
        except Exception as e:  # the reason, for whoever debugs the binding
            body, status = json.dumps({"error": str(e)}), 500
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


HTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
