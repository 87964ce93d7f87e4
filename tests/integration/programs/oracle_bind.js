#!/usr/bin/env node
// The doctor oracle's probe in Node: the same protocol as oracle_bind.c.
const net = require("net");
console.log("started");
const server = net.createServer();
server.on("error", (e) => {
  console.log("bind: " + e.message);
  process.exit(3);
});
server.listen(Number(process.argv[2]), "127.0.0.1", () => {
  console.log("bound");
  server.close();
});
