/**
 * The EC2 Query protocol's response side, as AWS writes it: `<ActionResponse xmlns="…/2016-11-15/">` with a
 * `requestId` first, lower-camel element names, every list as `<fooSet><item>…</item></fooSet>`; and errors as
 * `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`.
 */

export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export type XmlValue = string | number | boolean | Date | null | undefined | XmlObject | XmlValue[];
export interface XmlObject {
  [element: string]: XmlValue;
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) =>
    c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === "'" ? '&apos;' : '&quot;',
  );
}

/** Objects become nested elements, arrays `<item>` lists, dates ISO-8601 with milliseconds; null is omitted. */
export function toXml(obj: XmlObject): string {
  let out = '';
  for (const [name, value] of Object.entries(obj)) out += element(name, value);
  return out;
}

function element(name: string, value: XmlValue): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) {
    if (!value.length) return `<${name}/>`;
    return `<${name}>${value.map((v) => element('item', v)).join('')}</${name}>`;
  }
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (typeof value === 'object') return `<${name}>${toXml(value)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function responseXml(action: string, requestId: string, body: XmlObject): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<${action}Response xmlns="${EC2_XMLNS}"><requestId>${escapeXml(requestId)}</requestId>${toXml(body)}` +
    `</${action}Response>`
  );
}

export function errorXml(code: string, message: string, requestId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error>` +
    `</Errors><RequestID>${escapeXml(requestId)}</RequestID></Response>`
  );
}

/** The HTTP status AWS sends with each error code (observed: capacity shortages are 500, throttling 503). */
export function statusForCode(code: string): number {
  switch (code) {
    case 'AuthFailure':
    case 'MissingAuthenticationToken':
    case 'OptInRequired':
      return 401;
    case 'UnauthorizedOperation':
    case 'Blocked':
    case 'PendingVerification':
      return 403;
    case 'DryRunOperation':
      return 412;
    case 'InternalError':
    case 'InsufficientInstanceCapacity':
    case 'InsufficientHostCapacity':
    case 'InsufficientReservedInstanceCapacity':
    case 'InsufficientCapacity':
    case 'InsufficientAddressCapacity':
      return 500;
    case 'RequestLimitExceeded':
    case 'Unavailable':
    case 'ServiceUnavailable':
      return 503;
    default:
      return 400;
  }
}
