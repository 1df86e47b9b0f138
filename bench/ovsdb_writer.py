#!/usr/bin/env python3
"""Writes OVSDB transactions over connections it keeps open, as a cloud's
clients do (Neutron's ovsdbapp to the Northbound, os-vif's to the local
Open_vSwitch database): a write costs the database's round trip, not a
process start and a connect as `ovsdb-client transact` does.

Reads one request per line on stdin, "unix:SOCKET TRANSACT-PARAMS-JSON",
and answers each with one line on stdout: "ok", or "error WHAT".
"""
import json
import socket
import sys


class Connection:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buffer = ""
        self.next_id = 0
        self.decoder = json.JSONDecoder()

    def send(self, message):
        self.sock.sendall(json.dumps(message).encode())

    def receive(self):
        """The next JSON-RPC message (the server frames none: JSON values back to back)."""
        while True:
            text = self.buffer.lstrip()
            if text:
                try:
                    message, end = self.decoder.raw_decode(text)
                    self.buffer = text[end:]
                    return message
                except json.JSONDecodeError:
                    pass  # incomplete: read more
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the database closed the connection")
            self.buffer += data.decode()

    def transact(self, params):
        self.next_id += 1
        self.send({"method": "transact", "params": params, "id": self.next_id})
        while True:
            message = self.receive()
            if message.get("method") == "echo":  # the server's liveness probe
                self.send({"result": message.get("params", []), "error": None, "id": message.get("id")})
            elif message.get("id") == self.next_id:
                return message


def outcome(reply):
    """ "ok", or what went wrong: a JSON-RPC error or any operation's."""
    if reply.get("error") is not None:
        return "error " + json.dumps(reply["error"])
    for result in reply.get("result") or []:
        if isinstance(result, dict) and "error" in result:
            return "error " + json.dumps(result)
    return "ok"


def main():
    connections = {}
    for line in sys.stdin:
        remote, _, params = line.strip().partition(" ")
        try:
            if not remote.startswith("unix:"):
                raise ValueError("only unix: remotes: " + remote)
            if remote not in connections:
                connections[remote] = Connection(remote[len("unix:"):])
            answer = outcome(connections[remote].transact(json.loads(params)))
        except (OSError, ValueError) as e:  # JSONDecodeError is a ValueError
            connections.pop(remote, None)
            answer = "error " + str(e)
        print(answer, flush=True)


if __name__ == "__main__":
    main()
