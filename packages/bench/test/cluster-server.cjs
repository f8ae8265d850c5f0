// Two cluster workers, round-robin, sharing one port; prints the port once both listen.
const cluster = require('node:cluster');
const net = require('node:net');

cluster.schedulingPolicy = cluster.SCHED_RR;
if (cluster.isPrimary) {
  let listening = 0;
  for (let index = 0; index < 2; index++) {
    cluster.fork().on('message', (port) => {
      if (++listening === 2) console.log(port);
    });
  }
} else {
  const server = net.createServer(() => {});
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
  process.on('disconnect', () => process.exit());
}
