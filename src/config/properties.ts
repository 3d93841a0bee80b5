// A reader for Java .properties text with the rules of java.util.Properties.load:
// - a logical line may span natural lines: an odd number of trailing backslashes joins the next
//   line, whose leading whitespace is dropped;
// - lines whose first non-blank character is '#' or '!' are comments (never continued);
// - the key ends at the first unescaped '=', ':' or whitespace; blanks and one '='/':' follow;
// - escapes: \t \n \r \f, \uXXXX, and '\' before any other character stands for that character.
// Later duplicates win. Unlike Kafka (which reads the file as ISO-8859-1), text is UTF-8.
import { ConfigError } from './config-def.js'

const BLANK = new Set([' ', '\t', '\f'])

export function parseProperties(text: string): Map<string, string> {
  const result = new Map<string, string>()
  const lines = text.split(/\r\n|\r|\n/)
  for (let i = 0; i < lines.length; i++) {
    let line = stripLeadingBlanks(lines[i]!)
    if (line === '' || line[0] === '#' || line[0] === '!') continue
    while (endsWithContinuation(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + stripLeadingBlanks(lines[++i]!)
    }
    if (endsWithContinuation(line)) line = line.slice(0, -1) // a continuation at end of input joins nothing
    const [key, value] = splitKeyValue(line)
    result.set(key, value)
  }
  return result
}

function stripLeadingBlanks(s: string): string {
  let i = 0
  while (i < s.length && BLANK.has(s[i]!)) i++
  return s.slice(i)
}

function endsWithContinuation(s: string): boolean {
  let slashes = 0
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) slashes++
  return slashes % 2 === 1
}

function splitKeyValue(line: string): [string, string] {
  let i = 0
  while (i < line.length) {
    const c = line[i]!
    if (c === '\\') {
      i += 2
      continue
    }
    if (c === '=' || c === ':' || BLANK.has(c)) break
    i++
  }
  const rawKey = line.slice(0, Math.min(i, line.length))
  while (i < line.length && BLANK.has(line[i]!)) i++
  if (i < line.length && (line[i] === '=' || line[i] === ':')) i++
  while (i < line.length && BLANK.has(line[i]!)) i++
  const key = unescape(rawKey, null)
  return [key, unescape(line.slice(i), key)]
}

function unescape(s: string, key: string | null): string {
  if (!s.includes('\\')) return s
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c !== '\\' || i + 1 >= s.length) {
      out += c
      continue
    }
    const e = s[++i]!
    switch (e) {
      case 't': out += '\t'; break
      case 'n': out += '\n'; break
      case 'r': out += '\r'; break
      case 'f': out += '\f'; break
      case 'u': {
        const hex = s.slice(i + 1, i + 5)
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          throw new ConfigError('GREGOR_CONFIG_FILE', key, `Malformed \\uxxxx encoding in ${key === null ? 'a key' : `the value of ${key}`}`)
        }
        out += String.fromCharCode(parseInt(hex, 16))
        i += 4
        break
      }
      default: out += e
    }
  }
  return out
}
