// Which meeting an incoming call asks for: destinationAddress dialledDigits, h323-ID, url-ID,
// then the Q.931 called party number; `IP##meeting` and `h323:` forms stripped.
import { describe, expect, it } from 'vitest';
import { calledMeeting, meetingFromAlias, type CalledMeetingInput } from '../../h323/h225/index.ts';

describe('meetingFromAlias', () => {
  it.each([
    ['123', '123'],
    ['192.0.2.5##123', '123'],
    ['##123', '123'],
    ['  ##4567 ', '4567'],
    ['h323:123@192.0.2.5', '123'],
    ['H323:123@gw.example;user=phone', '123'],
    ['h323:192.0.2.5##889', '889'],
    ['h323://meet-42@gw', 'meet-42'],
    ['192.0.2.5##', undefined],
    ['', undefined],
    ['h323:@gw', undefined],
  ])('%j → %j', (alias, meeting) => {
    expect(meetingFromAlias(alias)).toBe(meeting);
  });
});

describe('calledMeeting: order of the sources', () => {
  const cases: [string, CalledMeetingInput, string | undefined][] = [
    ['dialledDigits before h323-ID and URL', { destinationAliases: [{ url: 'h323:1@gw' }, { h323Id: '2' }, { dialledDigits: '3' }], calledNumber: '4' }, '3'],
    ['h323-ID before URL', { destinationAliases: [{ url: 'h323:1@gw' }, { h323Id: '192.0.2.5##2' }], calledNumber: '4' }, '2'],
    ['URL before the called number', { destinationAliases: [{ url: 'h323:1@gw' }], calledNumber: '4' }, '1'],
    ['called party number last', { destinationAliases: [{ email: 'a@b' }], calledNumber: '4' }, '4'],
    ['an empty alias is skipped', { destinationAliases: [{ dialledDigits: '' }, { h323Id: '##77' }] }, '77'],
    ['IP## in the called number', { destinationAliases: [], calledNumber: '##55' }, '55'],
    ['nothing dialled', { destinationAliases: [] }, undefined],
  ];
  it.each(cases)('%s', (_name, input, meeting) => {
    expect(calledMeeting(input)).toBe(meeting);
  });
});
