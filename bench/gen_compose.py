#!/usr/bin/env python3
"""Writes a large compose project for benchmarking `config`: N services spread over a base
file and two override files, using anchors with merge keys, extends (same file and another
file), interpolation with defaults, ports, volumes, healthchecks and depends_on chains.

Usage: gen_compose.py DIR [N]
"""
import os
import sys


def main():
    out, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, ".env"), "w") as fh:
        fh.write("REGISTRY=registry.example\nTAG=1.2.3\nBASE_PORT=20000\n")
    with open(os.path.join(out, "common.yaml"), "w") as fh:
        fh.write("services:\n  template:\n    image: ${REGISTRY}/template:${TAG:-latest}\n"
                 "    environment:\n      LOG_LEVEL: info\n      TZ: UTC\n"
                 "    labels:\n      tier: backend\n")
    base = ["x-defaults: &defaults",
            "  restart: unless-stopped",
            "  init: true",
            "  healthcheck:",
            "    test: [\"CMD\", \"true\"]",
            "    interval: 30s",
            "    timeout: 5s",
            "    retries: 3",
            "  logging:",
            "    driver: json-file",
            "    options:",
            "      max-size: 10m",
            "",
            "services:"]
    for i in range(n):
        base += ["  svc%d:" % i,
                 "    <<: *defaults",
                 "    image: ${REGISTRY:-docker.io}/app%d:${TAG:-latest}" % (i % 50),
                 "    command: [\"serve\", \"--port\", \"%d\"]" % (8000 + i % 100),
                 "    environment:",
                 "      SERVICE_INDEX: \"%d\"" % i,
                 "      PEER: svc%d" % ((i + 1) % n),
                 "    ports:",
                 "      - \"127.0.0.1:%d:%d\"" % (20000 + i, 8000 + i % 100),
                 "    volumes:",
                 "      - data%d:/data" % (i % 100),
                 "      - ./config/svc%d:/etc/app:ro" % i]
        if i % 10:
            base += ["    depends_on:", "      - svc%d" % (i - 1)]
        if i % 25 == 0:
            base += ["    extends:", "      file: common.yaml", "      service: template"]
    base += ["", "volumes:"] + ["  data%d:" % v for v in range(min(n, 100))]
    with open(os.path.join(out, "compose.yaml"), "w") as fh:
        fh.write("\n".join(base) + "\n")
    for k, name in enumerate(("override-a.yaml", "override-b.yaml")):
        lines = ["services:"]
        for i in range(k, n, 3):
            lines += ["  svc%d:" % i,
                      "    environment:",
                      "      OVERRIDE: \"%s\"" % name,
                      "    labels:",
                      "      com.example.override: \"%d\"" % k]
        with open(os.path.join(out, name), "w") as fh:
            fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
