import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../src/config/config-def.js'
import { parseProperties } from '../../src/config/properties.js'

test('key=value, key: value and key value forms all parse, with blanks around the separator dropped', () => {
  const props = parseProperties('a=1\nb : 2\nc 3\n  d\t=\t4  \ne:\n')
  assert.deepEqual(Object.fromEntries(props), { a: '1', b: '2', c: '3', d: '4  ', e: '' })
})

test('# and ! lines are comments; blank lines are skipped; CRLF and CR line ends work', () => {
  const props = parseProperties('# a=1\r\n  ! b=2\r\n\r\nc=3\rd=4')
  assert.deepEqual(Object.fromEntries(props), { c: '3', d: '4' })
})

test('an odd number of trailing backslashes continues the line and drops the next line\'s leading blanks', () => {
  const props = parseProperties('listeners=PLAINTEXT://a:1,\\\n    SSL://b:2\nodd=x\\\\\nnext=y')
  assert.equal(props.get('listeners'), 'PLAINTEXT://a:1,SSL://b:2')
  assert.equal(props.get('odd'), 'x\\')
  assert.equal(props.get('next'), 'y')
})

test('a comment line ending in a backslash does not continue', () => {
  const props = parseProperties('# comment \\\na=1')
  assert.deepEqual(Object.fromEntries(props), { a: '1' })
})

test('escapes: \\t \\n \\uXXXX, escaped separators inside keys, and any other escaped character stands for itself', () => {
  const props = parseProperties('k\\=ey\\:x\\ y=v\\tw\\nz\\u00e9\\q')
  assert.deepEqual(Object.fromEntries(props), { 'k=ey:x y': 'v\tw\nzéq' })
})

test('later duplicates win', () => {
  assert.equal(parseProperties('a=1\na=2').get('a'), '2')
})

test('a malformed \\u escape is a GREGOR_CONFIG_FILE error naming the key', () => {
  assert.throws(
    () => parseProperties('bad=\\u12x4'),
    (e: unknown) => e instanceof ConfigError && e.code === 'GREGOR_CONFIG_FILE' && e.key === 'bad',
  )
})
