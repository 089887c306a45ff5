import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signAwsRequest } from '../../activities/awsSigV4.ts';

// AWS's published Signature Version 4 test suite (aws-sig-v4-test-suite): its example credentials, scope and time.
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const scope = { region: 'us-east-1', service: 'service' };
const at = new Date('2015-08-30T12:36:00Z');
const credential = 'Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request';

test('the signer gives the test suite\'s published signatures', () => {
  const vectors: { name: string; method: string; url: string; headers: Record<string, string>; body: string; signed: string; signature: string }[] = [
    { name: 'get-vanilla', method: 'GET', url: 'https://example.amazonaws.com/', headers: {}, body: '', signed: 'host;x-amz-date', signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31' },
    { name: 'get-vanilla-query-order-key-case', method: 'GET', url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1', headers: {}, body: '', signed: 'host;x-amz-date', signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500' },
    { name: 'post-vanilla', method: 'POST', url: 'https://example.amazonaws.com/', headers: {}, body: '', signed: 'host;x-amz-date', signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b' },
    { name: 'post-x-www-form-urlencoded', method: 'POST', url: 'https://example.amazonaws.com/', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'Param1=value1', signed: 'content-type;host;x-amz-date', signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a' },
  ];
  for (const vector of vectors) {
    const headers = signAwsRequest({ method: vector.method, url: new URL(vector.url), headers: vector.headers, body: vector.body }, scope, credentials, at);
    assert.deepEqual(headers, {
      'x-amz-date': '20150830T123600Z',
      authorization: `AWS4-HMAC-SHA256 ${credential}, SignedHeaders=${vector.signed}, Signature=${vector.signature}`,
    }, vector.name);
  }
});

test('temporary credentials send their session token, signed with the request; the body and each signed header count', () => {
  const request = { method: 'POST', url: new URL('https://wafv2.eu-west-1.amazonaws.com/'), headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'AWSWAF_20190729.GetIPSet' }, body: '{"Name":"a"}' };
  const signed = signAwsRequest(request, { region: 'eu-west-1', service: 'wafv2' }, { ...credentials, sessionToken: 'session-token' }, at);
  assert.equal(signed['x-amz-security-token'], 'session-token');
  assert.match(signed.authorization!, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20150830\/eu-west-1\/wafv2\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/);
  const signature = (headers: Record<string, string>) => headers.authorization!.slice(-64);
  assert.notEqual(signature(signAwsRequest({ ...request, body: '{"Name":"b"}' }, { region: 'eu-west-1', service: 'wafv2' }, credentials, at)), signature(signAwsRequest(request, { region: 'eu-west-1', service: 'wafv2' }, credentials, at)));
  assert.notEqual(signature(signAwsRequest({ ...request, headers: { ...request.headers, 'X-Amz-Target': 'AWSWAF_20190729.UpdateIPSet' } }, { region: 'eu-west-1', service: 'wafv2' }, credentials, at)), signature(signAwsRequest(request, { region: 'eu-west-1', service: 'wafv2' }, credentials, at)));
});
