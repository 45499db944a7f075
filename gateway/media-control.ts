/**
 * RFC 5168 (XML Schema for Media Control): the picture_fast_update request that SIP video
 * terminals exchange in INFO to ask the far encoder for an intra picture.
 */
export const MEDIA_CONTROL_CONTENT_TYPE = 'application/media_control+xml';

/** RFC 5168 3: the body of a picture fast update request toward the far encoder. */
export function pictureFastUpdateBody(): string {
  return [
    '<?xml version="1.0" encoding="utf-8" ?>',
    '<media_control>',
    '  <vc_primitive>',
    '    <to_encoder>',
    '      <picture_fast_update/>',
    '    </to_encoder>',
    '  </vc_primitive>',
    '</media_control>',
    '',
  ].join('\r\n');
}

/** True when a media_control body asks for a picture fast update (RFC 5168 3). */
export function isPictureFastUpdate(contentType: string | undefined, body: string): boolean {
  if (!contentType || contentType.split(';')[0]!.trim().toLowerCase() !== MEDIA_CONTROL_CONTENT_TYPE) return false;
  // Terminals vary in whitespace, prefixes and self-closing form; the element name is what matters.
  return /<\s*(?:\w+:)?picture_fast_update\b/.test(body);
}
