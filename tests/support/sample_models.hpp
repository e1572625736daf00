#pragma once

// A model in the long syntax the canonicalizer produces, with most of its shapes: shared by
// the validator's tests and the check against upstream's schema, so both judge the same text.
inline const char* kLongSyntaxModel = R"(
services:
  web:
    image: nginx
    environment: {DEBUG: "1", HOME: null}
    labels: {com.example.team: web}
    env_file: [{path: .env, required: false}]
    ports:
      - {target: 80, published: "8080", protocol: tcp, mode: ingress, host_ip: 127.0.0.1}
    volumes:
      - {type: bind, source: ./data, target: /data, read_only: true, bind: {create_host_path: true}}
      - {type: volume, source: cache, target: /cache, volume: {nocopy: true}}
      - {type: tmpfs, target: /tmp, tmpfs: {size: 1024, mode: 1777}}
    depends_on:
      db: {condition: service_healthy, required: true, restart: false}
    networks:
      front: {aliases: [web], ipv4_address: 10.0.0.2}
    secrets: [{source: token, target: /run/secrets/token, mode: 0400}]
    healthcheck: {test: [CMD, curl, -f, localhost], interval: 10s, retries: 3}
    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 65535}
    deploy: {replicas: 2, resources: {limits: {cpus: "0.5", memory: 512M}}}
    x-note: kept
  db:
    image: postgres
    build: {context: ./db, args: {PG: "16"}, tags: [db:dev]}
    healthcheck: {test: [CMD-SHELL, pg_isready]}
networks:
  front:
    ipam: {config: [{subnet: 10.0.0.0/24}]}
volumes:
  cache: {labels: {a: b}}
secrets:
  token: {file: ./token.txt}
x-anchors: {anything: [1]}
)";
