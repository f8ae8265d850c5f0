import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  encodeProxyHeader,
  PROXY_V1_MAX_BYTES,
  PROXY_V2_MAX_BYTES,
  PROXY_V2_SIGNATURE,
  type ProxyHeader,
  type ProxyHeaderRead,
  type ProxyProtocolVersion,
  readProxyHeader,
} from '../src/index.js';

const PAYLOAD = Buffer.from('hello\n');
const client4 = { address: '203.0.113.7', port: 56324 };
const balancer4 = { address: '192.0.2.10', port: 7000 };
const client6 = { address: '2001:db8::7', port: 40000 };
const balancer6 = { address: '2001:db8::10', port: 443 };

/** Feeds `reads` one after another, as a connection would, until the header is decided. */
function readAcross(reads: readonly Buffer[], accept: ProxyProtocolVersion): ProxyHeaderRead {
  let held = Buffer.alloc(0);
  let result: ProxyHeaderRead = { state: 'incomplete' };
  for (const read of reads) {
    held = Buffer.concat([held, read]);
    result = readProxyHeader(held, accept);
    if (result.state !== 'incomplete') {
      // What arrived after the header, in this read and none later, is the rest.
      return result;
    }
  }
  return result;
}

function completed(result: ProxyHeaderRead): { header: ProxyHeader; rest: Buffer } {
  if (result.state !== 'complete')
    throw new Error(`expected a header, got ${JSON.stringify(result)}`);
  return result;
}

function reason(result: ProxyHeaderRead): string {
  if (result.state !== 'invalid') throw new Error(`expected invalid, got ${result.state}`);
  return result.reason;
}

/** Headers of every kind the reader takes, and what it reads from each. */
const headers: readonly { name: string; bytes: Buffer; header: Partial<ProxyHeader> }[] = [
  {
    name: 'v1 TCP4',
    bytes: Buffer.from('PROXY TCP4 203.0.113.7 192.0.2.10 56324 7000\r\n'),
    header: { version: 1, command: 'proxy', source: client4, destination: balancer4 },
  },
  {
    name: 'v1 TCP6',
    bytes: Buffer.from('PROXY TCP6 2001:DB8::7 2001:db8::10 40000 443\r\n'),
    header: { version: 1, command: 'proxy', source: client6, destination: balancer6 },
  },
  {
    name: 'v1 UNKNOWN, short form',
    bytes: Buffer.from('PROXY UNKNOWN\r\n'),
    header: { version: 1, command: 'proxy' },
  },
  {
    name: 'v2 PROXY TCP over IPv4',
    bytes: encodeProxyHeader(2, { source: client4, destination: balancer4 }),
    header: { version: 2, command: 'proxy', source: client4, destination: balancer4 },
  },
  {
    name: 'v2 PROXY TCP over IPv6, with TLVs',
    bytes: encodeProxyHeader(2, {
      source: client6,
      destination: balancer6,
      tlvs: [
        { type: 0x05, value: Buffer.from('unique-id-42') },
        { type: 0x04, value: Buffer.alloc(3) },
      ],
    }),
    header: { version: 2, command: 'proxy', source: client6, destination: balancer6 },
  },
  {
    name: 'v2 LOCAL (a health check)',
    bytes: encodeProxyHeader(2, { command: 'local' }),
    header: { version: 2, command: 'local' },
  },
];

describe('readProxyHeader', () => {
  test.each(headers)(
    'reads a $name header and hands back the bytes after it',
    ({ bytes, header }) => {
      const { header: read, rest } = completed(
        readProxyHeader(Buffer.concat([bytes, PAYLOAD]), 'any'),
      );
      expect(read).toEqual({ ...header, length: bytes.length });
      expect(rest).toEqual(PAYLOAD);
    },
  );

  test.each(headers)('says incomplete for every proper prefix of a $name header', ({ bytes }) => {
    for (let end = 0; end < bytes.length; end++) {
      expect(readProxyHeader(bytes.subarray(0, end), 'any'), `first ${end} bytes`).toEqual({
        state: 'incomplete',
      });
    }
  });

  test.each(headers)(
    'reads a $name header split across reads at every pair of points',
    ({ bytes }) => {
      const wire = Buffer.concat([bytes, PAYLOAD]);
      const whole = completed(readProxyHeader(wire, 'any'));
      for (let first = 0; first <= wire.length; first++) {
        for (let second = first; second <= wire.length; second++) {
          const reads = [
            wire.subarray(0, first),
            wire.subarray(first, second),
            wire.subarray(second),
          ];
          const { header, rest } = completed(readAcross(reads, 'any'));
          expect(header).toEqual(whole.header);
          // The bytes after the header in the read that completed it, nothing lost, none doubled.
          const completing =
            second >= bytes.length ? (first >= bytes.length ? first : second) : wire.length;
          expect(rest).toEqual(wire.subarray(bytes.length, completing));
        }
      }
    },
  );

  test('reads a header dribbled in reads of any sizes the same as in one read', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...headers),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 120 }),
        ({ bytes }, sizes) => {
          const wire = Buffer.concat([bytes, PAYLOAD]);
          const reads: Buffer[] = [];
          for (let at = 0, i = 0; at < wire.length; i++) {
            const size = sizes[i % sizes.length]!;
            reads.push(wire.subarray(at, at + size));
            at += size;
          }
          const { header, rest } = completed(readAcross(reads, 'any'));
          expect(header).toEqual(completed(readProxyHeader(wire, 'any')).header);
          expect(PAYLOAD.subarray(0, rest.length)).toEqual(rest);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('takes only the versions it is configured for', () => {
    const v1 = headers[0]!.bytes;
    const v2 = headers[3]!.bytes;
    expect(readProxyHeader(v1, 'v1').state).toBe('complete');
    expect(readProxyHeader(v2, 'v2').state).toBe('complete');
    expect(reason(readProxyHeader(v2, 'v1'))).toMatch(
      /expected a PROXY protocol v1 header, got bytes 0d0a/,
    );
    expect(reason(readProxyHeader(v1, 'v2'))).toMatch(
      /expected a PROXY protocol v2 header, got "PROXY TCP4/,
    );
  });

  test('refuses a connection that does not start with a header at its first byte', () => {
    expect(reason(readProxyHeader(Buffer.from('G'), 'any'))).toMatch(/v1 or v2 header, got "G"/);
    expect(reason(readProxyHeader(Buffer.from('PROXX'), 'v1'))).toMatch(/got "PROXX"/);
    expect(reason(readProxyHeader(Buffer.from([0x0d, 0x0a, 0x0d, 0x0b]), 'v2'))).toMatch(
      /got bytes 0d0a0d0b/,
    );
  });

  describe('v1', () => {
    const line = (text: string) => readProxyHeader(Buffer.from(text, 'latin1'), 'v1');

    test('takes the longest line the spec allows, and refuses one byte more', () => {
      const six = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
      const longest = `PROXY UNKNOWN ${six} ${six} 65535 65535\r\n`;
      expect(longest.length).toBe(PROXY_V1_MAX_BYTES);
      expect(completed(line(longest)).header.length).toBe(PROXY_V1_MAX_BYTES);
      const longer = `PROXY UNKNOWN ${six} ${six} 65535 655350\r\n`;
      expect(reason(line(longer))).toMatch(/no CRLF within its first 107 bytes/);
      // Refused once the CR can no longer come in time, not after waiting for more.
      expect(reason(line(longer.slice(0, PROXY_V1_MAX_BYTES - 1)))).toMatch(/no CRLF/);
      expect(line(longer.slice(0, PROXY_V1_MAX_BYTES - 2)).state).toBe('incomplete');
    });

    test.each([
      ['PROXY TCP4 203.0.113.7 192.0.2.10 56324 7000\n', /LF without CR/],
      ['PROXY TCP4 203.0.113.7 192.0.2.10 56324 7000\rX', /CR not followed by LF/],
      ['PROXY TCP4 203.0.113.7\x00', /not printable/],
      ['PROXY UDP4 203.0.113.7 192.0.2.10 56324 7000\r\n', /"UDP4" is not TCP4, TCP6 or UNKNOWN/],
      ['PROXY TCP4 203.0.113.7  192.0.2.10 56324 7000\r\n', /single spaces/],
      ['PROXY TCP4 203.0.113.7 192.0.2.10 56324\r\n', /single spaces/],
      ['PROXY TCP4 203.0.113.07 192.0.2.10 56324 7000\r\n', /"203.0.113.07" is not valid/],
      ['PROXY TCP4 2001:db8::7 192.0.2.10 56324 7000\r\n', /"2001:db8::7" is not valid/],
      ['PROXY TCP6 203.0.113.7 2001:db8::10 56324 7000\r\n', /"203.0.113.7" is not valid/],
      ['PROXY TCP6 fe80::1%eth0 2001:db8::10 56324 7000\r\n', /"fe80::1%eth0" is not valid/],
      ['PROXY TCP4 203.0.113.7 192.0.2.10 056324 7000\r\n', /port "056324"/],
      ['PROXY TCP4 203.0.113.7 192.0.2.10 56324 65536\r\n', /port "65536"/],
      ['PROXY TCP4 203.0.113.7 192.0.2.10 -1 7000\r\n', /port "-1"/],
    ])('refuses %j', (text, why) => {
      expect(reason(line(text))).toMatch(why);
    });

    test('ignores whatever follows UNKNOWN before the CRLF', () => {
      const { header } = completed(line('PROXY UNKNOWN anything at all 1 2\r\n'));
      expect(header).toEqual({ version: 1, command: 'proxy', length: 35 });
    });
  });

  describe('v2', () => {
    const v2 = (verCmd: number, family: number, block: Buffer) => {
      const fixed = Buffer.from([verCmd, family, block.length >> 8, block.length & 0xff]);
      return Buffer.concat([PROXY_V2_SIGNATURE, fixed, block]);
    };

    test('refuses a version other than 2 and an unassigned command as soon as that byte arrives', () => {
      expect(
        reason(readProxyHeader(v2(0x11, 0x11, Buffer.alloc(12)).subarray(0, 13), 'v2')),
      ).toMatch(/version 1, not 2/);
      expect(
        reason(readProxyHeader(v2(0x22, 0x11, Buffer.alloc(12)).subarray(0, 13), 'v2')),
      ).toMatch(/command 2 is neither LOCAL/);
      expect(
        reason(readProxyHeader(v2(0x21, 0x41, Buffer.alloc(12)).subarray(0, 14), 'v2')),
      ).toMatch(/0x41 is not defined/);
      expect(
        reason(readProxyHeader(v2(0x21, 0x13, Buffer.alloc(12)).subarray(0, 14), 'v2')),
      ).toMatch(/0x13 is not defined/);
    });

    test('refuses a header longer than the limit from its fixed 16 bytes, without waiting for it', () => {
      const declared = Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x21, 0x11, 0xff, 0xff])]);
      expect(reason(readProxyHeader(declared, 'v2'))).toMatch(
        /65551 bytes is longer than the 4096/,
      );
      const longest = v2(0x21, 0x11, Buffer.alloc(PROXY_V2_MAX_BYTES - 16));
      expect(completed(readProxyHeader(longest, 'v2')).header.length).toBe(PROXY_V2_MAX_BYTES);
      expect(
        readProxyHeader(v2(0x21, 0x11, Buffer.alloc(PROXY_V2_MAX_BYTES - 15)), 'v2').state,
      ).toBe('invalid');
    });

    test('refuses an address block shorter than its family needs', () => {
      expect(reason(readProxyHeader(v2(0x21, 0x11, Buffer.alloc(11)), 'v2'))).toMatch(
        /11 bytes is shorter than the 12 of TCP over IPv4/,
      );
      expect(reason(readProxyHeader(v2(0x21, 0x21, Buffer.alloc(35)), 'v2'))).toMatch(
        /35 bytes is shorter than the 36 of TCP over IPv6/,
      );
    });

    test('uses no address for LOCAL, whatever block it carries, and skips the block', () => {
      const local = v2(
        0x20,
        0x11,
        encodeProxyHeader(2, { source: client4, destination: balancer4 }).subarray(16),
      );
      const { header, rest } = completed(readProxyHeader(Buffer.concat([local, PAYLOAD]), 'v2'));
      expect(header).toEqual({ version: 2, command: 'local', length: 28 });
      expect(rest).toEqual(PAYLOAD);
    });

    test.each([
      ['UNSPEC', 0x00, 0],
      ['UDP over IPv4', 0x12, 12],
      ['UDP over IPv6', 0x22, 36],
      ['UNIX stream', 0x31, 216],
    ])('falls back to the real endpoints for PROXY over %s', (_name, family, length) => {
      const { header, rest } = completed(
        readProxyHeader(Buffer.concat([v2(0x21, family, Buffer.alloc(length)), PAYLOAD]), 'v2'),
      );
      expect(header).toEqual({ version: 2, command: 'proxy', length: 16 + length });
      expect(rest).toEqual(PAYLOAD);
    });

    test('writes IPv6 addresses as Node writes a peer: compressed, lower case, mapped IPv4 dotted', () => {
      const read = (address: string) =>
        completed(
          readProxyHeader(
            encodeProxyHeader(2, { source: { address, port: 1 }, destination: balancer6 }),
            'v2',
          ),
        ).header.source?.address;
      expect(read('::1')).toBe('::1');
      expect(read('2001:DB8:0:0:0:0:0:7')).toBe('2001:db8::7');
      expect(read('1:0:0:1:0:0:0:1')).toBe('1:0:0:1::1');
      expect(read('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
      expect(read('::ffff:192.0.2.1')).toBe('::ffff:192.0.2.1');
      expect(read('fe80::')).toBe('fe80::');
      expect(read('::')).toBe('::');
    });
  });
});

describe('encodeProxyHeader', () => {
  test('writes the v1 line and the v2 block of the spec', () => {
    expect(encodeProxyHeader(1, { source: client4, destination: balancer4 }).toString()).toBe(
      'PROXY TCP4 203.0.113.7 192.0.2.10 56324 7000\r\n',
    );
    expect(encodeProxyHeader(1).toString()).toBe('PROXY UNKNOWN\r\n');
    expect(encodeProxyHeader(2, { source: client4, destination: balancer4 }).toString('hex')).toBe(
      `${PROXY_V2_SIGNATURE.toString('hex')}2111000ccb007107c000020adc041b58`,
    );
    expect(encodeProxyHeader(2, { command: 'local' }).toString('hex')).toBe(
      `${PROXY_V2_SIGNATURE.toString('hex')}20000000`,
    );
  });

  test('refuses what the version cannot say', () => {
    expect(() => encodeProxyHeader(1, { command: 'local' })).toThrow(/no LOCAL/);
    expect(() => encodeProxyHeader(2, { source: client4, destination: balancer6 })).toThrow(
      /one address family/,
    );
    expect(() => encodeProxyHeader(2, { source: client4 })).toThrow(/both endpoints or neither/);
    expect(() =>
      encodeProxyHeader(2, { source: { address: 'example.com', port: 1 }, destination: balancer4 }),
    ).toThrow(/not an IP address/);
  });
});
