// The handler `pool-hostile` serves: echoes, except that `exit` ends the worker thread it runs on
// (process.exit) and `hang` never settles. Plain JavaScript, so every thread loads it as it is.
export default (request) => {
  const text = request.toString('latin1');
  if (text === 'exit') process.exit(3);
  if (text === 'hang') return new Promise(() => {});
  return request;
};
