#!/usr/bin/python3
"""A stand-in for Nova's metadata API, behind neutron-ovn-metadata-agent in
the tests: it answers what Nova would from the headers the agent adds, and
refuses requests whose X-Instance-ID-Signature is not the HMAC-SHA256 of the
instance id under the shared secret (as Nova does).

  nova-metadata-standin.py PORT SECRET LOG

GET /openstack/latest/meta_data.json -> {"uuid": <instance>, "project_id": <tenant>}
GET /latest/meta-data/instance-id    -> <instance>
Each request is logged to LOG as one line: path, instance, tenant, forwarded-for.
"""
import hashlib
import hmac
import http.server
import json
import sys

PORT, SECRET, LOG = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        instance = self.headers.get("X-Instance-ID", "")
        tenant = self.headers.get("X-Tenant-ID", "")
        signature = self.headers.get("X-Instance-ID-Signature", "")
        expected = hmac.new(SECRET, instance.encode(), hashlib.sha256).hexdigest()
        with open(LOG, "a") as log:
            log.write(f"{self.path} {instance} {tenant} {self.headers.get('X-Forwarded-For', '')}\n")
        if not instance or not hmac.compare_digest(signature, expected):
            return self.reply(403, "text/plain", "bad signature\n")
        if self.path == "/openstack/latest/meta_data.json":
            return self.reply(200, "application/json", json.dumps({"uuid": instance, "project_id": tenant}))
        if self.path == "/latest/meta-data/instance-id":
            return self.reply(200, "text/plain", instance)
        return self.reply(404, "text/plain", "not found\n")

    def reply(self, code, content_type, body):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
