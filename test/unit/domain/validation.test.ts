/**
 * The input rules every entry point shares: each bad value is named with its field and a message
 * that says what would be accepted, and an unparseable URL never has its password repeated.
 */
import { describe, expect, it } from 'vitest';

import { ValidationError } from '../../../src/domain/errors.js';
import {
  DESCRIPTION_MAX,
  DISPLAY_NAME_MAX,
  FieldErrors,
  NAME_MAX,
  NAME_PATTERN,
  URL_MAX,
  canonicalUrl,
  checkDescription,
  checkDisplayName,
  checkGatewayType,
  checkHttpUrl,
  checkName,
  parseGatewayStatus,
  parseGatewayType,
} from '../../../src/domain/validation.js';

type Check = (errors: FieldErrors, path: string, value: unknown) => boolean;

/** What a check says of one value: the message it adds, or null when it accepts the value. */
function verdict(check: Check, value: unknown): string | null {
  const errors = new FieldErrors();
  const accepted = check(errors, 'field', value);
  expect(accepted).toBe(errors.errors.length === 0);
  if (accepted) return null;
  expect(errors.errors).toHaveLength(1);
  expect(errors.errors[0]?.path).toBe('field');
  return errors.errors[0]?.message ?? '';
}

function refusal(action: () => unknown): ValidationError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError, nothing was thrown');
}

describe('FieldErrors', () => {
  it('throws nothing while empty', () => {
    expect(() => new FieldErrors().throwIfAny('gateway')).not.toThrow();
  });

  it('names every bad field in one ValidationError, in order', () => {
    const errors = new FieldErrors();
    errors.add('name', 'is required');
    errors.add('adapterConfig.controlPlaneUrl', 'must not have a query or fragment');
    const error = refusal(() => errors.throwIfAny('gateway'));
    expect(error.message).toBe('invalid gateway: name: is required; adapterConfig.controlPlaneUrl: must not have a query or fragment');
    expect(error.errors).toEqual([
      { path: 'name', message: 'is required' },
      { path: 'adapterConfig.controlPlaneUrl', message: 'must not have a query or fragment' },
    ]);
  });
});

describe('checkName', () => {
  it('holds names to lower-case letters, digits and inner dashes, 64 characters at most', () => {
    expect(NAME_PATTERN).toBe('^[a-z0-9]([a-z0-9-]*[a-z0-9])?$');
    expect(NAME_MAX).toBe(64);
  });

  it.each(['a', '7', 'prod-gw-1', 'a-b', 'x'.repeat(64), `a${'-'.repeat(62)}z`])('takes %s', (name) => {
    expect(verdict(checkName, name)).toBeNull();
  });

  it.each([undefined, null, 42, '', ['gw']])('requires a name, not %j', (value) => {
    expect(verdict(checkName, value)).toBe('is required');
  });

  it('counts the characters of a name too long', () => {
    expect(verdict(checkName, 'x'.repeat(65))).toBe('must be at most 64 characters (got 65)');
  });

  it.each(['Prod', '-gw', 'gw-', 'gw_1', 'gw 1', 'gw.1', 'ü', 'gw\n'])('refuses %j, quoting it', (name) => {
    expect(verdict(checkName, name)).toBe(
      `"${name}" may contain only lower-case letters, digits and '-', and must start and end with a letter or digit`,
    );
  });
});

describe('checkDisplayName', () => {
  it.each(['Production gateway 1', 'x', ' padded ', 'x'.repeat(128)])('takes %j', (value) => {
    expect(DISPLAY_NAME_MAX).toBe(128);
    expect(verdict(checkDisplayName, value)).toBeNull();
  });

  it.each([undefined, null, 7, '', '   ', '\t\n'])('refuses %j as empty', (value) => {
    expect(verdict(checkDisplayName, value)).toBe('must be a non-empty string');
  });

  it('counts the characters of one too long', () => {
    expect(verdict(checkDisplayName, 'x'.repeat(129))).toBe('must be at most 128 characters (got 129)');
  });
});

describe('checkDescription', () => {
  it.each([null, '', 'Serves the EU region', 'x'.repeat(1024)])('takes %j', (value) => {
    expect(DESCRIPTION_MAX).toBe(1024);
    expect(verdict(checkDescription, value)).toBeNull();
  });

  it.each([undefined, 3, { text: 'x' }])('refuses %j as not a string', (value) => {
    expect(verdict(checkDescription, value)).toBe('must be a string');
  });

  it('counts the characters of one too long', () => {
    expect(verdict(checkDescription, 'x'.repeat(1025))).toBe('must be at most 1024 characters (got 1025)');
  });
});

describe('gateway types and statuses', () => {
  it.each(['EGRESS', 'INGRESS'])('checkGatewayType takes %s', (type) => {
    expect(verdict(checkGatewayType, type)).toBeNull();
  });

  it.each(['egress', 'OTHER', '', undefined, 1])('checkGatewayType refuses %j, listing the types', (type) => {
    expect(verdict(checkGatewayType, type)).toBe('must be one of EGRESS, INGRESS');
  });

  it('parses a type or a status in any case', () => {
    expect(parseGatewayType('egress')).toBe('EGRESS');
    expect(parseGatewayType('Ingress')).toBe('INGRESS');
    expect(parseGatewayStatus('active')).toBe('ACTIVE');
    expect(parseGatewayStatus('Provisioning')).toBe('PROVISIONING');
    expect(parseGatewayStatus('ERROR')).toBe('ERROR');
  });

  it('refuses an unknown type or status, naming the field (the flag by default) and the choices', () => {
    const type = refusal(() => parseGatewayType('mesh'));
    expect(type.message).toBe('type: "mesh" is not a gateway type; use EGRESS or INGRESS');
    expect(type.errors).toEqual([{ path: 'type', message: '"mesh" is not a gateway type; use EGRESS or INGRESS' }]);
    expect(refusal(() => parseGatewayType('mesh', 'spec.type')).message).toBe('spec.type: "mesh" is not a gateway type; use EGRESS or INGRESS');

    const status = refusal(() => parseGatewayStatus('down'));
    expect(status.message).toBe('status: "down" is not a status; use one of ACTIVE, INACTIVE, PROVISIONING, ERROR');
    expect(refusal(() => parseGatewayStatus('down', 'filter.status')).errors?.[0]?.path).toBe('filter.status');
  });
});

describe('checkHttpUrl', () => {
  it.each([
    'http://gateway.internal:9090',
    'https://gw.example.com/base/path',
    'HTTP://GW.EXAMPLE.COM/',
    'http://10.0.0.5:9090/',
    'http://[2001:db8::1]:9090/',
    'http://gw/?',
    `http://gw/${'p'.repeat(URL_MAX - 'http://gw/'.length)}`,
  ])('takes %s', (url) => {
    expect(verdict(checkHttpUrl, url)).toBeNull();
  });

  it.each([undefined, null, '', 8080])('requires a URL, not %j', (value) => {
    expect(verdict(checkHttpUrl, value)).toBe('is required');
  });

  it('refuses a URL over 2048 characters', () => {
    expect(URL_MAX).toBe(2048);
    expect(verdict(checkHttpUrl, `http://gw/${'p'.repeat(URL_MAX - 'http://gw/'.length + 1)}`)).toBe('must be at most 2048 characters');
  });

  it.each([
    ['ftp://gw.example.com/', 'ftp'],
    ['file:///etc/passwd', 'file'],
    ['ws://gw:9090/', 'ws'],
    ['javascript:alert(1)', 'javascript'],
    ['gateway.internal:9090', 'gateway.internal'],
  ])('refuses %s, naming the scheme', (url, scheme) => {
    expect(verdict(checkHttpUrl, url)).toBe(`scheme "${scheme}" is not allowed; use http or https`);
  });

  it.each(['http://admin:s3cret@gw:9090/', 'http://admin@gw/', 'http://:s3cret@gw/', 'http:admin:s3cret@gw/'])(
    'refuses credentials in %s without repeating them',
    (url) => {
      expect(verdict(checkHttpUrl, url)).toBe('must not contain credentials; pass them as username/password instead');
    },
  );

  it.each(['http://gw/?debug=1', 'http://gw/#health', 'http://gw/?a#b'])('refuses the query or fragment of %s', (url) => {
    expect(verdict(checkHttpUrl, url)).toBe('must not have a query or fragment');
  });

  it.each([
    ['http://[bad', 'http://[bad'],
    ['not a url', 'not a url'],
    ['http://gw:99999/', 'http://gw:99999/'],
    // What follows a port, or a path, is not a password: shown as given.
    ['http://ga teway/v1:beta@x', 'http://ga teway/v1:beta@x'],
  ])('refuses the unparseable %j, quoting it', (url, shown) => {
    expect(verdict(checkHttpUrl, url)).toBe(`"${shown}" is not a valid URL (expected e.g. http://gateway.internal:9090)`);
  });

  it.each([
    ['http://admin:s3cret@[bad', 'http://admin:***@[bad'],
    ['https://admin:s3cret@gw:99999/', 'https://admin:***@gw:99999/'],
    ['http://:s3cret@[bad', 'http://:***@[bad'],
    ['http://admin:@[bad', 'http://admin:***@[bad'],
    // The user name ends at the first ':', the password at the last '@': either may hold the other.
    ['http://admin:s3:cret@[bad', 'http://admin:***@[bad'],
    ['http://admin:s3c@ret@[bad', 'http://admin:***@[bad'],
    ['http://ops@example.com:s3cret@[bad', 'http://ops@example.com:***@[bad'],
    // A '/' in an unencoded password ends the host for the URL parser, not for the person who typed it.
    ['http://admin:s3/cret@gw/', 'http://admin:***@gw/'],
    // URL parsing drops tabs and newlines, so one pasted into a password is part of it.
    ['http://admin:s3c\nret@[bad', 'http://admin:***@[bad'],
  ])('masks the password of the unparseable %j', (url, shown) => {
    const message = verdict(checkHttpUrl, url);
    expect(message).toBe(`"${shown}" is not a valid URL (expected e.g. http://gateway.internal:9090)`);
    expect(message).not.toMatch(/s3|cret/);
  });
});

describe('canonicalUrl', () => {
  it.each([
    ['http://gw:9090', 'http://gw:9090'],
    ['http://gw:9090/', 'http://gw:9090'],
    ['http://gw:9090/base//', 'http://gw:9090/base'],
    ['HTTP://GW:80/base/', 'http://gw/base'],
    ['https://gw/a/b', 'https://gw/a/b'],
  ])('writes %s as %s', (url, canonical) => {
    expect(canonicalUrl(url)).toBe(canonical);
  });
});
