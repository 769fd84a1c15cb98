import { describe, expect, it } from 'vitest';
import { dialledUser, withDialledUser } from '../../../src/sip/destination.js';

describe('the dialled user on a forwarding destination', () => {
  it('takes the user from sip:, sips: and tel: Request-URIs as received, without a password', () => {
    expect(dialledUser('sip:1002@127.0.0.1:5060;transport=udp')).toBe('1002');
    expect(dialledUser('sips:alice@[::1]:5061')).toBe('alice');
    expect(dialledUser('sip:%2A97;ext=1@pbx.test?Subject=x%40y')).toBe('%2A97;ext=1');
    expect(dialledUser('sip:1002:secret@pbx.test')).toBe('1002');
    expect(dialledUser('tel:+4930123;phone-context=example.com')).toBe('+4930123');
    expect(dialledUser('sip:pbx.test')).toBeNull();
    expect(dialledUser('urn:service:sos')).toBeNull();
  });

  it('puts the user on a destination without one, keeping IPv6 brackets, port and transport', () => {
    expect(withDialledUser('sip:127.0.0.1:5070;transport=udp', '1002')).toBe('sip:1002@127.0.0.1:5070;transport=udp');
    expect(withDialledUser('sip:[2001:db8::1]:5060;transport=tcp', '1002')).toBe('sip:1002@[2001:db8::1]:5060;transport=tcp');
    expect(withDialledUser('sips:pbx.test:5061;transport=tls', '+4930123')).toBe('sips:+4930123@pbx.test:5061;transport=tls');
    expect(withDialledUser('127.0.0.1:5070;transport=udp', '1002')).toBe('sip:1002@127.0.0.1:5070;transport=udp');
  });

  it('leaves a destination that names a user, or a Request-URI without one, as it is', () => {
    expect(withDialledUser('sip:2001@127.0.0.3:5060', '500')).toBe('sip:2001@127.0.0.3:5060');
    expect(withDialledUser('sip:127.0.0.1:5070;transport=udp', null)).toBe('sip:127.0.0.1:5070;transport=udp');
  });
});
