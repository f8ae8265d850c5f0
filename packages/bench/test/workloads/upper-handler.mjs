// The handler the upper workload is served with.
export default (request) => Buffer.from(request.toString('utf8').toUpperCase());
