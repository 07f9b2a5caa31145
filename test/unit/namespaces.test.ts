import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeNamespace, kernelHasStaticMntNet, parseNamespaceLink } from '../../judges/namespaces.js';

test('the host\'s initial pid namespace is recognised by its fixed inode', () => {
  const { inode } = parseNamespaceLink('pid:[4026531836]');
  assert.equal(judgeNamespace('pid', inode, false).shared, true);
});

test('a dynamically allocated inode is private for always-fixed kinds', () => {
  assert.equal(judgeNamespace('pid', 4026532198, false).shared, false);
  assert.equal(judgeNamespace('ipc', 4026532197, false).shared, false);
});

test('mnt/net: equal to the static inode is shared; otherwise unknown on kernels without static inodes', () => {
  assert.equal(judgeNamespace('net', 4026531833, false).shared, true);
  assert.equal(judgeNamespace('net', 4026532200, false).shared, 'unknown');
  assert.equal(judgeNamespace('net', 4026532200, true).shared, false);
  assert.equal(judgeNamespace('mnt', 4026531832, true).shared, true);
});

test('kernel release parsing', () => {
  assert.equal(kernelHasStaticMntNet('6.18.44-fc-v657'), true);
  assert.equal(kernelHasStaticMntNet('5.15.0-91-generic'), false);
  assert.equal(kernelHasStaticMntNet('garbage'), false);
});

test('malformed links are refused', () => {
  assert.throws(() => parseNamespaceLink('pid:4026531836'), /not a namespace link/);
});
