import { describe, expect, it } from 'vitest';
import { isFrameError, parseRequest } from '../../meeting/protocol.ts';

describe('parseRequest refuses what PROTOCOL.md does not allow', () => {
  const refused: [string, string, number | undefined, string][] = [
    ['not JSON', '{id:1', undefined, 'not JSON'],
    ['an array', '[1]', undefined, 'not a JSON object'],
    ['null', 'null', undefined, 'not a JSON object'],
    ['no id', '{"method":"getRoom"}', undefined, 'missing integer id'],
    ['a fractional id', '{"id":1.5,"method":"getRoom"}', undefined, 'missing integer id'],
    ['a string id', '{"id":"1","method":"getRoom"}', undefined, 'missing integer id'],
    ['no method', '{"id":3}', 3, 'missing method'],
    ['an unknown method', '{"id":4,"method":"fly"}', 4, 'unknown method: fly'],
    ['a prototype key as method', '{"id":5,"method":"toString"}', 5, 'unknown method'],
    ['join without displayName', '{"id":6,"method":"join","data":{"roomId":"a"}}', 6, 'displayName'],
    ['join with a bad roomId', '{"id":7,"method":"join","data":{"roomId":"a/b","displayName":"x"}}', 7, 'roomId'],
    ['join with an unknown kind', '{"id":8,"method":"join","data":{"roomId":"a","displayName":"x","kind":"robot"}}', 8, 'kind'],
    ['a bad direction', '{"id":9,"method":"createWebRtcTransport","data":{"direction":"up"}}', 9, 'direction'],
    ['produce without rtpParameters', '{"id":10,"method":"produce","data":{"transportId":"t","kind":"audio"}}', 10, 'rtpParameters'],
    ['data that is not an object', '{"id":11,"method":"consume","data":"x"}', 11, 'invalid consume data'],
  ];
  it.each(refused)('refuses %s', (_what, text, id, error) => {
    const r = parseRequest(text);
    expect(isFrameError(r)).toBe(true);
    if (!isFrameError(r)) return;
    expect(r.id).toBe(id);
    expect(r.error).toContain(error);
  });

  it('accepts a valid join and fills nothing in', () => {
    const r = parseRequest('{"id":1,"method":"join","data":{"roomId":"t1","displayName":"Alice","extra":1}}');
    expect(r).toEqual({ id: 1, method: 'join', data: { roomId: 't1', displayName: 'Alice' } });
  });

  it('accepts methods without data', () => {
    expect(parseRequest('{"id":2,"method":"getRoom"}')).toEqual({ id: 2, method: 'getRoom', data: {} });
  });
});
