// Uppercases each line: the smallest service that is not an echo. With the `lines` codec a
// request is one line without its newline, and so is the reply.

/** @param {Buffer} request */
export default function upper(request) {
  return Buffer.from(request.toString('utf8').toUpperCase());
}
