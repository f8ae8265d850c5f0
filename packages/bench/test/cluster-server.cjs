// Two cluster workers sharing a port, `rr` (the primary listens and hands each connection out)
// or `none` (the workers accept from one shared socket, as the kernel wakes them); prints the
// port once both listen.
const cluster = require('node:cluster');
const net = require('node:net');

cluster.schedulingPolicy = process.argv[2] === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
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
