// Generates the protocol codecs from Kafka's message schemas (shared/kafka-protocol, see its
// README "Checklist for the generator"):
//   src/protocol/messages/<api>.ts      one file per API key, request + response
//   src/protocol/messages/consumer-protocol.ts
//   src/protocol/messages/index.ts      apiSpecs, apiSpecByKey
//   src/protocol/messages/versions.ts   version ranges and flexibility per key, without codecs
//   src/protocol/internal/<schema>.ts   __consumer_offsets / __transaction_state records
//   test/support/arbitraries/{messages,internal}/*.ts   fast-check arbitraries per struct
// Usage: node dist/scripts/gen-protocol.js [--out <repo root>]  (GREGOR_PROTOCOL_DIR overrides
// the schema directory). Output is deterministic; a test regenerates it and diffs.

import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

// ---------------------------------------------------------------------------------------------
// Version ranges

interface Range {
  lo: number
  hi: number // Infinity when open-ended
}

function parseRange(text: unknown, what: string): Range | null {
  if (typeof text !== 'string') throw new Error(`${what}: version string expected, got ${JSON.stringify(text)}`)
  if (text === 'none') return null
  let m = /^(\d+)\+$/.exec(text)
  if (m) return { lo: Number(m[1]), hi: Infinity }
  m = /^(\d+)-(\d+)$/.exec(text)
  if (m) {
    const r = { lo: Number(m[1]), hi: Number(m[2]) }
    if (r.hi < r.lo) throw new Error(`${what}: empty range ${text}`)
    return r
  }
  m = /^(\d+)$/.exec(text)
  if (m) return { lo: Number(m[1]), hi: Number(m[1]) }
  throw new Error(`${what}: bad version string ${JSON.stringify(text)}`)
}

function intersect(a: Range | null, b: Range | null): Range | null {
  if (!a || !b) return null
  const lo = Math.max(a.lo, b.lo)
  const hi = Math.min(a.hi, b.hi)
  return lo <= hi ? { lo, hi } : null
}

function hull(a: Range | null, b: Range | null): Range | null {
  if (!a) return b
  if (!b) return a
  return { lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) }
}

function contains(outer: Range | null, inner: Range | null): boolean {
  if (!inner) return true
  if (!outer) return false
  return outer.lo <= inner.lo && inner.hi <= outer.hi
}

function inRange(r: Range | null, v: number): boolean {
  return r !== null && r.lo <= v && v <= r.hi
}

/** Condition for `version ∈ s`, knowing `version ∈ ctx`: true, false, or a JS expression. */
function cond(s: Range | null, ctx: Range | null): true | false | string {
  const i = intersect(s, ctx)
  if (!i || !ctx) return false
  if (contains(s, ctx)) return true
  const parts: string[] = []
  const needLo = i.lo > ctx.lo
  const needHi = i.hi < ctx.hi
  if (needLo && needHi && i.lo === i.hi) return `version === ${i.lo}`
  if (needLo) parts.push(`version >= ${i.lo}`)
  if (needHi) parts.push(`version <= ${i.hi}`)
  return parts.join(' && ')
}

/** Condition for `version ∉ s`, knowing `version ∈ ctx`. */
function notCond(s: Range | null, ctx: Range | null): true | false | string {
  const c = cond(s, ctx)
  if (c === true) return false
  if (c === false) return true
  const i = intersect(s, ctx)!
  const parts: string[] = []
  if (i.lo > ctx!.lo) parts.push(`version < ${i.lo}`)
  if (i.hi < ctx!.hi) parts.push(`version > ${i.hi}`)
  return parts.join(' || ')
}

function versionsIn(r: Range, maxVersion: number): number[] {
  const out: number[] = []
  for (let v = r.lo; v <= Math.min(r.hi, maxVersion); v++) out.push(v)
  return out
}

// ---------------------------------------------------------------------------------------------
// Schema model

const PRIMITIVES = new Set(['bool', 'int8', 'int16', 'int32', 'int64', 'uint16', 'uint32', 'float64', 'uuid', 'string', 'bytes', 'records'])
const FIXED_SIZE: Record<string, number> = { bool: 1, int8: 1, int16: 2, int32: 4, int64: 8, uint16: 2, uint32: 4, float64: 8, uuid: 16 }
const NULLABLE_KINDS = new Set(['string', 'bytes', 'records'])
const TOP_KEYS = new Set(['apiKey', 'type', 'listeners', 'name', 'validVersions', 'flexibleVersions', 'fields', 'latestVersionUnstable', 'commonStructs', 'deprecatedVersions'])
const FIELD_KEYS = new Set(['name', 'type', 'versions', 'about', 'nullableVersions', 'default', 'ignorable', 'tag', 'taggedVersions', 'fields', 'mapKey', 'entityType', 'flexibleVersions', 'zeroCopy'])
const INT_LIMITS: Record<string, [number, number]> = {
  int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647], uint16: [0, 65535], uint32: [0, 4294967295],
}

type Default =
  | { kind: 'number'; value: number }
  | { kind: 'bigint'; value: bigint }
  | { kind: 'bool'; value: boolean }
  | { kind: 'string'; value: string }
  | { kind: 'null' }
  | { kind: 'empty' } // empty bytes / array, zero uuid
  | { kind: 'struct' } // a struct with its own defaults

interface Field {
  name: string // JSON name
  prop: string // camelCase property
  base: string // element type without []
  isArray: boolean
  isStruct: boolean // base is a struct name
  versions: Range // ∩ validVersions
  nullable: Range | null
  tagged: Range | null
  tag: number | null
  ignorable: boolean
  flexOverride: Range | null | undefined // field-level flexibleVersions
  default: Default
  struct?: Struct // resolved for struct types
}

interface Struct {
  name: string // schema name
  tsName: string
  fields: Field[]
  ctx: Range | null // versions in which the struct can appear
  needsIsDefault: boolean
}

interface Schema {
  file: string
  kind: 'request' | 'response' | 'data'
  name: string
  apiKey: number | null
  valid: Range
  flexible: Range | null
  listeners: string[]
  latestVersionUnstable: boolean
  top: Struct
  structs: Struct[] // in definition order, top first
}

export function stripComments(text: string): string {
  let out = ''
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      out += c
      if (c === '\\') out += text[++i] ?? ''
      else if (c === '"') inString = false
    } else if (c === '"') {
      inString = true
      out += c
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++
      out += '\n'
    } else if (c === '/' && text[i + 1] === '*') {
      throw new Error('block comments are not expected in schema files')
    } else {
      out += c
    }
  }
  return out
}

function camel(name: string): string {
  return name[0].toLowerCase() + name.slice(1)
}

function parseDefault(raw: unknown, f: { base: string; isArray: boolean; isStruct: boolean; nullableAny: boolean }, where: string): Default {
  const type = f.isArray ? '[]' + f.base : f.base
  if (raw === undefined) {
    if (f.isArray || f.base === 'bytes' || f.base === 'uuid') return { kind: 'empty' }
    if (f.isStruct) return { kind: 'struct' }
    if (f.base === 'records') return { kind: 'null' }
    if (f.base === 'string') return { kind: 'string', value: '' }
    if (f.base === 'bool') return { kind: 'bool', value: false }
    if (f.base === 'int64') return { kind: 'bigint', value: 0n }
    return { kind: 'number', value: 0 }
  }
  if (raw === null || raw === 'null') {
    if (!(f.isArray || f.isStruct || NULLABLE_KINDS.has(f.base))) throw new Error(`${where}: null default for ${type}`)
    if (!f.nullableAny && f.base !== 'records') throw new Error(`${where}: null default for a field that is never nullable`)
    return { kind: 'null' }
  }
  if (f.isArray || f.isStruct || f.base === 'bytes' || f.base === 'records' || f.base === 'uuid') {
    throw new Error(`${where}: unsupported default ${JSON.stringify(raw)} for ${type}`)
  }
  if (f.base === 'bool') {
    if (raw === true || raw === 'true') return { kind: 'bool', value: true }
    if (raw === false || raw === 'false') return { kind: 'bool', value: false }
    throw new Error(`${where}: bad bool default ${JSON.stringify(raw)}`)
  }
  if (f.base === 'string') {
    if (typeof raw !== 'string') throw new Error(`${where}: bad string default`)
    return { kind: 'string', value: raw }
  }
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : null
  if (text === null) throw new Error(`${where}: bad numeric default ${JSON.stringify(raw)}`)
  if (f.base === 'float64') {
    const value = Number(text)
    if (Number.isNaN(value) && text !== 'NaN') throw new Error(`${where}: bad float64 default ${text}`)
    return { kind: 'number', value }
  }
  const m = /^(-?)(0x[0-9a-fA-F]+|\d+)$/.exec(text)
  if (!m) throw new Error(`${where}: bad integer default ${JSON.stringify(raw)}`)
  const big = (m[1] === '-' ? -1n : 1n) * BigInt(m[2])
  if (f.base === 'int64') {
    if (big < -(1n << 63n) || big >= 1n << 63n) throw new Error(`${where}: int64 default out of range`)
    return { kind: 'bigint', value: big }
  }
  const [lo, hi] = INT_LIMITS[f.base]
  const value = Number(big)
  if (value < lo || value > hi) throw new Error(`${where}: ${f.base} default ${text} out of range`)
  return { kind: 'number', value }
}

interface RawField {
  [key: string]: unknown
}

export function loadSchema(file: string, text: string): Schema {
  let json: Record<string, unknown>
  try {
    json = JSON.parse(stripComments(text)) as Record<string, unknown>
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`)
  }
  for (const key of Object.keys(json)) if (!TOP_KEYS.has(key)) throw new Error(`${file}: unknown top-level key ${key}`)
  const kind = json.type
  if (kind !== 'request' && kind !== 'response' && kind !== 'data') throw new Error(`${file}: unsupported type ${String(kind)}`)
  const name = json.name
  if (typeof name !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(name)) throw new Error(`${file}: bad name`)
  if (json.validVersions === undefined) throw new Error(`${file}: validVersions is required`)
  const valid = parseRange(json.validVersions, `${file} validVersions`)
  if (!valid || valid.hi === Infinity) throw new Error(`${file}: validVersions must be a closed range`)
  const flexible = intersect(parseRange(json.flexibleVersions ?? 'none', `${file} flexibleVersions`), valid)
  let apiKey: number | null = null
  if (kind !== 'data') {
    if (typeof json.apiKey !== 'number' || !Number.isInteger(json.apiKey) || json.apiKey < 0 || json.apiKey > 32767) {
      throw new Error(`${file}: bad apiKey`)
    }
    apiKey = json.apiKey
  }
  const listeners = (json.listeners ?? []) as unknown
  if (!Array.isArray(listeners) || !listeners.every((l) => typeof l === 'string')) throw new Error(`${file}: bad listeners`)
  const latestVersionUnstable = json.latestVersionUnstable ?? false
  if (typeof latestVersionUnstable !== 'boolean') throw new Error(`${file}: bad latestVersionUnstable`)

  const structs = new Map<string, Struct>()
  const tsNames = new Set<string>()
  const tsNameOf = (structName: string): string => {
    const ts = structName.startsWith(name) ? structName : name + structName
    if (tsNames.has(ts)) throw new Error(`${file}: struct type name ${ts} is not unique`)
    tsNames.add(ts)
    return ts
  }
  const top: Struct = { name, tsName: name, fields: [], ctx: null, needsIsDefault: false }
  tsNames.add(name)
  const pending: Array<() => void> = []

  const parseFields = (raw: unknown, where: string): Field[] => {
    if (!Array.isArray(raw)) throw new Error(`${where}: fields must be an array`)
    const seenProps = new Set<string>()
    const seenTags = new Set<number>()
    return raw.map((rf: RawField) => {
      const fname = rf.name
      if (typeof fname !== 'string' || !/^[A-Za-z][A-Za-z0-9]*$/.test(fname)) throw new Error(`${where}: bad field name ${String(fname)}`)
      const at = `${where}.${fname}`
      for (const key of Object.keys(rf)) if (!FIELD_KEYS.has(key)) throw new Error(`${at}: unknown key ${key}`)
      const prop = camel(fname)
      if (seenProps.has(prop)) throw new Error(`${at}: duplicate field`)
      seenProps.add(prop)
      const type = rf.type
      const tm = typeof type === 'string' ? /^(\[\])?([A-Za-z][A-Za-z0-9]*)$/.exec(type) : null
      if (!tm) throw new Error(`${at}: bad type ${String(type)}`)
      const isArray = tm[1] !== undefined
      const base = tm[2]
      const isStruct = !PRIMITIVES.has(base)
      if (isStruct && !/^[A-Z]/.test(base)) throw new Error(`${at}: unknown type ${base}`)
      if (isArray && base === 'records') throw new Error(`${at}: arrays of records are not supported`)
      if (rf.fields !== undefined && !isStruct) throw new Error(`${at}: fields given for primitive type ${base}`)
      const taggedRaw = rf.taggedVersions
      const versions = intersect(parseRange(rf.versions ?? taggedRaw, `${at} versions`), valid)
      if (!versions) throw new Error(`${at}: versions outside validVersions`)
      const declared = parseRange(rf.versions ?? taggedRaw, `${at} versions`)!
      if (declared.hi !== Infinity && declared.hi > valid.hi) throw new Error(`${at}: versions beyond validVersions`)
      const nullable = intersect(parseRange(rf.nullableVersions ?? 'none', `${at} nullableVersions`), versions)
      if (nullable && !(isArray || isStruct || NULLABLE_KINDS.has(base))) throw new Error(`${at}: ${base} cannot be nullable`)
      let tag: number | null = null
      let tagged: Range | null = null
      if (rf.tag !== undefined || taggedRaw !== undefined) {
        const t = typeof rf.tag === 'string' && /^\d+$/.test(rf.tag) ? Number(rf.tag) : rf.tag
        if (typeof t !== 'number' || !Number.isInteger(t) || t < 0) throw new Error(`${at}: bad tag ${String(rf.tag)}`)
        if (seenTags.has(t)) throw new Error(`${at}: duplicate tag ${t}`)
        seenTags.add(t)
        tag = t
        const tv = parseRange(taggedRaw, `${at} taggedVersions`)
        if (!tv || tv.hi !== Infinity) throw new Error(`${at}: taggedVersions must be open-ended`)
        tagged = intersect(tv, versions)
        if (!contains(versions, intersect(tv, valid))) throw new Error(`${at}: taggedVersions outside versions`)
        if (!contains(flexible, tagged)) throw new Error(`${at}: tagged in non-flexible versions`)
      }
      const ignorable = rf.ignorable ?? false
      if (typeof ignorable !== 'boolean') throw new Error(`${at}: bad ignorable`)
      let flexOverride: Range | null | undefined
      if (rf.flexibleVersions !== undefined) {
        if (!(base === 'string' || base === 'bytes') || isArray) throw new Error(`${at}: flexibleVersions override only for string/bytes`)
        flexOverride = intersect(parseRange(rf.flexibleVersions, `${at} flexibleVersions`), valid)
      }
      const field: Field = {
        name: fname, prop, base, isArray, isStruct, versions, nullable, tagged, tag, ignorable, flexOverride,
        default: parseDefault(rf.default, { base, isArray, isStruct, nullableAny: nullable !== null }, at),
      }
      if (isStruct) {
        if (rf.fields !== undefined) {
          if (structs.has(base)) throw new Error(`${at}: struct ${base} defined twice`)
          const s: Struct = { name: base, tsName: tsNameOf(base), fields: [], ctx: null, needsIsDefault: false }
          structs.set(base, s)
          s.fields = parseFields(rf.fields, `${where}.${base}`)
        }
        pending.push(() => {
          const s = structs.get(base)
          if (!s) throw new Error(`${at}: unknown struct ${base}`)
          field.struct = s
        })
      }
      return field
    })
  }

  const common = json.commonStructs ?? []
  if (!Array.isArray(common)) throw new Error(`${file}: commonStructs must be an array`)
  // Common structs are registered first so inline definitions cannot shadow them.
  const commonDefs: Array<{ s: Struct; fields: unknown }> = []
  for (const cs of common as RawField[]) {
    for (const key of Object.keys(cs)) if (!['name', 'versions', 'fields'].includes(key)) throw new Error(`${file}: unknown commonStructs key ${key}`)
    const csName = cs.name
    if (typeof csName !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(csName)) throw new Error(`${file}: bad common struct name`)
    if (structs.has(csName)) throw new Error(`${file}: common struct ${csName} defined twice`)
    const s: Struct = { name: csName, tsName: tsNameOf(csName), fields: [], ctx: null, needsIsDefault: false }
    structs.set(csName, s)
    commonDefs.push({ s, fields: cs.fields })
  }
  top.fields = parseFields(json.fields, name)
  for (const { s, fields } of commonDefs) s.fields = parseFields(fields, `${file}:${s.name}`)
  for (const resolve of pending) resolve()

  // Each struct's version context: where any field referring to it is present.
  const visit = (s: Struct, ctx: Range | null, depth: number): void => {
    if (depth > 32) throw new Error(`${file}: struct nesting too deep (recursive struct?)`)
    if (!ctx) return
    s.ctx = hull(s.ctx, ctx)
    for (const f of s.fields) if (f.struct) visit(f.struct, intersect(f.versions, ctx), depth + 1)
  }
  visit(top, valid, 0)
  const all: Struct[] = [top, ...structs.values()]
  for (const s of all) if (!s.ctx) throw new Error(`${file}: struct ${s.name} is never used`)

  // Structs whose "is this the default?" test is needed: tagged struct fields and non-ignorable
  // struct fields with a non-null default, and (recursively) struct fields inside those.
  const markIsDefault = (s: Struct): void => {
    if (s.needsIsDefault) return
    s.needsIsDefault = true
    for (const f of s.fields) if (f.struct && !f.isArray && f.default.kind === 'struct') markIsDefault(f.struct)
  }
  for (const s of all) {
    for (const f of s.fields) {
      const checked = f.tagged !== null || (!f.ignorable && !contains(f.versions, s.ctx))
      if (checked && f.struct && !f.isArray && f.default.kind === 'struct') markIsDefault(f.struct)
    }
  }
  return {
    file, kind, name, apiKey, valid, flexible, listeners: listeners as string[], latestVersionUnstable,
    top, structs: [...all].sort((a, b) => (a === top ? -1 : b === top ? 1 : 0)),
  }
}

// ---------------------------------------------------------------------------------------------
// Code generation helpers

const RESERVED = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum', 'export',
  'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null', 'return', 'super',
  'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield', 'let', 'static', 'implements',
  'interface', 'package', 'private', 'protected', 'public', 'await', 'arguments', 'eval', 'undefined', 'NaN', 'Infinity',
  'Buffer', 'r', 'w', 'm', 'version', 'tag', 'tagEnd', 't', 'n', 'i', 'a', 'v',
])

function local(f: Field): string {
  return RESERVED.has(f.prop) ? `${f.prop}_` : f.prop
}

function tsType(f: Field): string {
  let t: string
  switch (f.base) {
    case 'bool': t = 'boolean'; break
    case 'int64': t = 'bigint'; break
    case 'string': t = 'string'; break
    case 'bytes': case 'records': case 'uuid': t = 'Buffer'; break
    default: t = f.struct ? f.struct.tsName : 'number'
  }
  if (f.isArray) t = `${t}[]`
  if (f.nullable || f.base === 'records' || f.default.kind === 'null') t += ' | null'
  return t
}

function defaultExpr(f: Field): string {
  const d = f.default
  switch (d.kind) {
    case 'number': return Object.is(d.value, -0) ? '-0' : String(d.value)
    case 'bigint': return `${d.value}n`
    case 'bool': return String(d.value)
    case 'string': return quote(d.value)
    case 'null': return 'null'
    case 'struct': return `create${f.struct!.tsName}()`
    case 'empty': return f.isArray ? '[]' : f.base === 'uuid' ? 'Buffer.alloc(16)' : 'Buffer.alloc(0)'
  }
}

/** JS expression that is true when `v` (an expression for the field's value) equals the default. */
function isDefaultExpr(f: Field, v: string): string {
  const d = f.default
  const maybeNull = tsType(f).endsWith('| null')
  switch (d.kind) {
    case 'number': return Number.isNaN(d.value) ? `Number.isNaN(${v})` : `${v} === ${defaultExpr(f)}`
    case 'bigint': case 'bool': case 'string': return `${v} === ${defaultExpr(f)}`
    case 'null': return `${v} === null`
    case 'struct': return maybeNull ? `${v} !== null && isDefault${f.struct!.tsName}(${v})` : `isDefault${f.struct!.tsName}(${v})`
    case 'empty':
      if (!f.isArray && f.base === 'uuid') return `isZeroUuid(${v})`
      return maybeNull ? `${v} !== null && ${v}.length === 0` : `${v}.length === 0`
  }
}

function elementMinBytes(base: string, compact: boolean, s: Struct | undefined, version: number, schema: Schema): number {
  if (FIXED_SIZE[base] !== undefined) return FIXED_SIZE[base]
  if (base === 'string') return compact ? 1 : 2
  if (base === 'bytes' || base === 'records') return compact ? 1 : 4
  return structMinBytes(s!, version, schema)
}

/** Smallest encoding of struct `s` at `version`: bounds a forged array count before allocation. */
function structMinBytes(s: Struct, version: number, schema: Schema): number {
  const flexible = inRange(schema.flexible, version)
  let total = flexible ? 1 : 0
  for (const f of s.fields) {
    if (!inRange(f.versions, version) || inRange(f.tagged, version)) continue
    const compact = f.flexOverride !== undefined ? inRange(f.flexOverride, version) : flexible
    if (f.isArray) total += compact ? 1 : 4
    else if (f.struct) total += inRange(f.nullable, version) ? 1 : structMinBytes(f.struct, version, schema)
    else total += elementMinBytes(f.base, compact, undefined, version, schema)
  }
  return total
}

function ifElse(c: true | false | string, yes: string, no: string): string {
  if (c === true) return yes
  if (c === false) return no
  const wrap = (e: string): string => (e.includes(' ? ') ? `(${e})` : e)
  return `${c} ? ${wrap(yes)} : ${wrap(no)}`
}

/** `!(e)`, written as `a !== b` when `e` is a plain `a === b`. */
function negate(e: string): string {
  const m = /^([\w.]+) === ([^&|?]+)$/.exec(e)
  return m ? `${m[1]} !== ${m[2]}` : `!(${e})`
}

function quote(text: string): string {
  return `'${JSON.stringify(text).slice(1, -1).replace(/'/g, "\\'").replace(/\\"/g, '"')}'`
}

function stmt(lines: string[], indent: string, c: true | false | string, yes: string[], no: string[]): void {
  if (c === true) { for (const l of yes) lines.push(indent + l); return }
  if (c === false) { for (const l of no) lines.push(indent + l); return }
  lines.push(`${indent}if (${c}) {`)
  for (const l of yes) lines.push(`${indent}  ${l}`)
  if (no.length > 0) {
    lines.push(`${indent}} else {`)
    for (const l of no) lines.push(`${indent}  ${l}`)
  }
  lines.push(`${indent}}`)
}

// ---------------------------------------------------------------------------------------------
// Per-schema code

class Emitter {
  readonly lines: string[] = []
  readonly used = new Set<string>()

  constructor(readonly schema: Schema) {}

  flexCond(f: Field, ctx: Range): true | false | string {
    return cond(f.flexOverride !== undefined ? f.flexOverride : this.schema.flexible, ctx)
  }

  /** Statements that read field `f` into `target`, for versions in `ctx` (all flexible when tagged). */
  readInto(f: Field, target: string, ctx: Range): string[] {
    const fc = this.flexCond(f, ctx)
    const nc = cond(f.nullable, ctx)
    const out: string[] = []
    if (f.isArray) {
      const vs = versionsIn(ctx, this.schema.valid.hi)
      const minFor = (compact: boolean): number => {
        const sizes = vs.filter((v) => inRange(f.flexOverride !== undefined ? f.flexOverride : this.schema.flexible, v) === compact)
          .map((v) => elementMinBytes(f.base, compact, f.struct, v, this.schema))
        return sizes.length === 0 ? 1 : Math.min(...sizes)
      }
      const classicMin = minFor(false)
      const compactMin = minFor(true)
      if (classicMin < 1 || compactMin < 1) throw new Error(`${this.schema.file}: ${f.name} elements can be empty; cannot bound the count`)
      out.push('{')
      out.push(`  const n = ${ifElse(fc, `r.compactArrayLength(${compactMin})`, `r.arrayLength(${classicMin})`)}`)
      const elem = this.readElement(f, fc)
      const fill = [`const a: ${tsType({ ...f, nullable: null, default: { kind: 'empty' } })} = []`, `for (let i = 0; i < n; i++) a.push(${elem})`, `${target} = a`]
      if (nc === false) {
        this.used.add('CorruptFrameError')
        out.push(`  if (n < 0) throw new CorruptFrameError('non-nullable field ${f.name} is null')`)
        for (const l of fill) out.push(`  ${l}`)
      } else {
        out.push('  if (n < 0) {')
        if (nc !== true) {
          this.used.add('CorruptFrameError')
          out.push(`    if (!(${nc})) throw new CorruptFrameError('non-nullable field ${f.name} is null')`)
        }
        out.push(`    ${target} = null`)
        out.push('  } else {')
        for (const l of fill) out.push(`    ${l}`)
        out.push('  }')
      }
      out.push('}')
      return out
    }
    if (f.struct) {
      const call = `decode${f.struct.tsName}(r, version)`
      if (nc === false) out.push(`${target} = ${call}`)
      else if (nc === true) out.push(`${target} = r.int8() < 0 ? null : ${call}`)
      else out.push(`${target} = ${nc} && r.int8() < 0 ? null : ${call}`)
      return out
    }
    out.push(`${target} = ${this.readScalar(f.base, fc, nc)}`)
    return out
  }

  readElement(f: Field, fc: true | false | string): string {
    if (f.struct) return `decode${f.struct.tsName}(r, version)`
    return this.readScalar(f.base, fc, false)
  }

  readScalar(base: string, fc: true | false | string, nc: true | false | string): string {
    switch (base) {
      case 'string': return ifElse(fc, ifElse(nc, 'r.compactNullableString()', 'r.compactString()'), ifElse(nc, 'r.nullableString()', 'r.string()'))
      case 'bytes': case 'records':
        return ifElse(fc, ifElse(nc, 'r.compactNullableBytes()', 'r.compactBytes()'), ifElse(nc, 'r.nullableBytes()', 'r.bytes()'))
      default: return `r.${base}()`
    }
  }

  /** Statements that write value expression `v` of field `f` with writer `wv`, for versions in `ctx`. */
  writeValue(f: Field, v: string, wv: string, ctx: Range): string[] {
    const fc = this.flexCond(f, ctx)
    const nc = cond(f.nullable, ctx)
    const maybeNull = tsType(f).endsWith('| null')
    const out: string[] = []
    const nullFail = `nullField('${f.name}')`
    if (f.isArray) {
      out.push('{')
      out.push(`  const a = ${v}`)
      const writeLen = (n: string): string => (fc === true ? `${wv}.compactArrayLength(${n})` : fc === false ? `${wv}.arrayLength(${n})` : `if (${fc}) ${wv}.compactArrayLength(${n})\n  else ${wv}.arrayLength(${n})`)
      const body = [...writeLen('a.length').split('\n'), `for (let i = 0; i < a.length; i++) ${this.writeElement(f, 'a[i]', wv, fc)}`]
      if (maybeNull) {
        out.push('  if (a === null) {')
        if (nc !== true) {
          this.used.add('nullField')
          if (nc === false) out.push(`    ${nullFail}`)
          else out.push(`    if (!(${nc})) ${nullFail}`)
        }
        if (nc !== false) for (const l of writeLen('-1').split('\n')) out.push(`    ${l.trim()}`)
        out.push('  } else {')
        for (const l of body) out.push(`    ${l.trim()}`)
        out.push('  }')
      } else {
        for (const l of body) out.push(`  ${l.trim()}`)
      }
      out.push('}')
      return out
    }
    if (f.struct) {
      const call = (x: string): string => `encode${f.struct!.tsName}(${wv}, ${x}, version)`
      if (!maybeNull) {
        out.push(call(v))
      } else if (nc === false) {
        this.used.add('nullField')
        out.push(`${call(`${v} ?? ${nullFail}`)}`)
      } else {
        out.push(`if (${v} === null) {`)
        if (nc !== true) {
          this.used.add('nullField')
          out.push(`  if (!(${nc})) ${nullFail}`)
        }
        out.push(`  ${wv}.int8(-1)`)
        out.push('} else {')
        if (nc === true) out.push(`  ${wv}.int8(1)`)
        else out.push(`  if (${nc}) ${wv}.int8(1)`)
        out.push(`  ${call(v)}`)
        out.push('}')
      }
      return out
    }
    if (f.base === 'string' || f.base === 'bytes' || f.base === 'records') {
      const suffix = f.base === 'string' ? 'String' : f.base === 'bytes' ? 'Bytes' : 'Records'
      const method = (compact: boolean, nullable: boolean): string => {
        const name = `${compact ? 'compact' : ''}${nullable ? 'Nullable' : ''}${suffix}`
        return name[0].toLowerCase() + name.slice(1)
      }
      const nonNull = (): string => {
        if (!maybeNull) return v
        this.used.add('nullField')
        return `${v} ?? ${nullFail}`
      }
      const pick = (compact: boolean): string => {
        if (nc === true) return `${wv}.${method(compact, true)}(${v})`
        if (nc === false) return `${wv}.${method(compact, false)}(${nonNull()})`
        return `if (${nc}) ${wv}.${method(compact, true)}(${v})\nelse ${wv}.${method(compact, false)}(${nonNull()})`
      }
      if (fc === true) out.push(...pick(true).split('\n'))
      else if (fc === false) out.push(...pick(false).split('\n'))
      else {
        out.push(`if (${fc}) {`)
        for (const l of pick(true).split('\n')) out.push(`  ${l}`)
        out.push('} else {')
        for (const l of pick(false).split('\n')) out.push(`  ${l}`)
        out.push('}')
      }
      return out
    }
    out.push(`${wv}.${f.base}(${v})`)
    return out
  }

  writeElement(f: Field, v: string, wv: string, fc: true | false | string): string {
    if (f.struct) return `encode${f.struct.tsName}(${wv}, ${v}, version)`
    if (f.base === 'string') return fc === true ? `${wv}.compactString(${v})` : fc === false ? `${wv}.string(${v})` : `${fc} ? ${wv}.compactString(${v}) : ${wv}.string(${v})`
    return `${wv}.${f.base}(${v})`
  }

  emitStruct(s: Struct): void {
    const schema = this.schema
    const ctx = s.ctx!
    const L = this.lines
    const flexC = cond(schema.flexible, ctx)
    const tagged = s.fields.filter((f) => f.tagged && intersect(f.tagged, ctx)).sort((a, b) => a.tag! - b.tag!)

    // interface
    L.push(`export interface ${s.tsName} {`)
    for (const f of s.fields) L.push(`  ${f.prop}: ${tsType(f)}`)
    L.push('}', '')

    // create
    L.push(`export function create${s.tsName}(): ${s.tsName} {`)
    if (s.fields.length === 0) L.push('  return {}')
    else {
      L.push('  return {')
      for (const f of s.fields) L.push(`    ${f.prop}: ${defaultExpr(f)},`)
      L.push('  }')
    }
    L.push('}', '')

    // decode
    this.used.add('Reader')
    L.push(`export function decode${s.tsName}(r: Reader, version: number): ${s.tsName} {`)
    for (const f of s.fields) {
      const name = local(f)
      const p = intersect(f.versions, ctx)
      const untagged = p && f.tagged ? intersect(p, { lo: p.lo, hi: f.tagged.lo - 1 }) : p
      const cu = cond(untagged, ctx)
      if (cu === true) {
        const read = this.readInto(f, name, untagged!)
        if (read.length === 1 && f.tagged === null) {
          L.push(`  const ${name}: ${tsType(f)} = ${read[0].slice(name.length + 3)}`)
          continue
        }
        L.push(`  let ${name}: ${tsType(f)}`)
        for (const l of read) L.push(`  ${l}`)
      } else if (cu === false) {
        L.push(`  let ${name}: ${tsType(f)} = ${defaultExpr(f)}`)
      } else {
        L.push(`  let ${name}: ${tsType(f)}`)
        stmt(L, '  ', cu, this.readInto(f, name, untagged!), [`${name} = ${defaultExpr(f)}`])
      }
    }
    if (flexC !== false) {
      const loop: string[] = []
      if (tagged.length === 0) {
        loop.push('r.skipTaggedFields()')
      } else {
        this.used.add('CorruptFrameError')
        loop.push('for (let t = r.uvarint(); t > 0; t--) {')
        loop.push('  const tag = r.uvarint()')
        loop.push('  const tagEnd = r.taggedFieldEnd()')
        loop.push('  switch (tag) {')
        for (const f of tagged) {
          const tctx = intersect(f.tagged, ctx)!
          const c = cond(tctx, intersect(schema.flexible, ctx))
          loop.push(`    case ${f.tag}:`)
          const read = this.readInto(f, local(f), tctx)
          if (c === true) for (const l of read) loop.push(`      ${l}`)
          else {
            loop.push(`      if (${c}) {`)
            for (const l of read) loop.push(`        ${l}`)
            loop.push('      } else {')
            loop.push('        r.offset = tagEnd')
            loop.push('      }')
          }
          loop.push('      break')
        }
        loop.push('    default:')
        loop.push('      r.offset = tagEnd')
        loop.push('  }')
        loop.push("  if (r.offset !== tagEnd) throw new CorruptFrameError(`tagged field ${tag} does not match its size`)")
        loop.push('}')
      }
      stmt(L, '  ', flexC, loop, [])
    }
    if (s.fields.length === 0) L.push('  return {}')
    else L.push(`  return { ${s.fields.map((f) => (local(f) === f.prop ? f.prop : `${f.prop}: ${local(f)}`)).join(', ')} }`)
    L.push('}', '')

    // encode
    this.used.add('Writer')
    L.push(`export function encode${s.tsName}(w: Writer, m: ${s.tsName}, version: number): void {`)
    for (const f of s.fields) {
      const v = `m.${f.prop}`
      const p = intersect(f.versions, ctx)
      const untagged = p && f.tagged ? intersect(p, { lo: p.lo, hi: f.tagged.lo - 1 }) : p
      const cu = cond(untagged, ctx)
      const absent = notCond(p, ctx)
      // A broker answers old clients by dropping fields their version lacks; requests (what our
      // client writes) keep Kafka's strictness so a caller's mistake is not silently lost.
      const check = !f.ignorable && absent !== false && this.schema.kind !== 'response'
      const write = cu === false ? [] : this.writeValue(f, v, 'w', untagged!)
      if (check) this.used.add('unsupportedField')
      // In the else branch of a never-tagged field, the field is known to be absent.
      const guard = cu !== false && untagged === p ? true : absent
      const checkLine = `if (${guard === true ? '' : `(${guard}) && `}${negate(isDefaultExpr(f, v))}) unsupportedField('${f.name}', version)`
      if (cu === true) {
        for (const l of write) L.push(`  ${l}`)
      } else if (cu === false) {
        if (check) L.push(`  ${checkLine}`)
      } else {
        L.push(`  if (${cu}) {`)
        for (const l of write) L.push(`    ${l}`)
        if (check) {
          L.push('  } else {')
          L.push(`    ${checkLine}`)
        }
        L.push('  }')
      }
    }
    if (flexC !== false) {
      const sec: string[] = []
      if (tagged.length === 0) {
        sec.push('w.emptyTaggedFields()')
      } else {
        const present = (f: Field): string => {
          const c = cond(intersect(f.tagged, ctx), intersect(schema.flexible, ctx))
          const nd = negate(isDefaultExpr(f, `m.${f.prop}`))
          return c === true ? nd : `${c} && ${nd}`
        }
        sec.push('let tags = 0')
        for (const f of tagged) sec.push(`if (${present(f)}) tags++`)
        sec.push('w.uvarint(tags)')
        for (const f of tagged) {
          const tctx = intersect(f.tagged, ctx)!
          sec.push(`if (${present(f)}) {`)
          sec.push(`  w.uvarint(${f.tag})`)
          const fixed = !f.isArray && FIXED_SIZE[f.base] !== undefined
          if (fixed) {
            sec.push(`  w.uvarint(${FIXED_SIZE[f.base]})`)
            for (const l of this.writeValue(f, `m.${f.prop}`, 'w', tctx)) sec.push(`  ${l}`)
          } else {
            sec.push('  const t = new Writer(64)')
            for (const l of this.writeValue(f, `m.${f.prop}`, 't', tctx)) sec.push(`  ${l}`)
            sec.push('  w.uvarint(t.length)')
            sec.push('  w.appendWriter(t)')
          }
          sec.push('}')
        }
      }
      stmt(L, '  ', flexC, sec, [])
    }
    L.push('}', '')

    if (s.needsIsDefault) {
      L.push(`function isDefault${s.tsName}(m: ${s.tsName}): boolean {`)
      if (s.fields.length === 0) L.push('  return true')
      else {
        L.push('  return (')
        s.fields.forEach((f, i) => {
          const e = isDefaultExpr(f, `m.${f.prop}`)
          if (e.includes('isZeroUuid')) this.used.add('isZeroUuid')
          L.push(`    ${i === 0 ? '' : '&& '}${e.includes('&&') ? `(${e})` : e}`)
        })
        L.push('  )')
      }
      L.push('}', '')
    }
    for (const f of s.fields) {
      if (isDefaultExpr(f, 'x').includes('isZeroUuid') && (f.tagged || (!f.ignorable && notCond(intersect(f.versions, ctx), ctx) !== false))) {
        this.used.add('isZeroUuid')
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries (test support)

function arbScalar(base: string): string {
  switch (base) {
    case 'bool': return 'fc.boolean()'
    case 'int8': case 'int16': case 'int32': case 'uint16': case 'uint32': case 'int64': case 'float64':
    case 'uuid': case 'string': case 'bytes': case 'records':
      return `p.${base}`
    default: throw new Error(`no arbitrary for ${base}`)
  }
}

function emitArbitraries(schema: Schema, importPath: string): string {
  const L: string[] = []
  const types: string[] = []
  const creators = new Set<string>()
  for (const s of schema.structs) {
    const ctx = s.ctx!
    types.push(s.tsName)
    L.push(`export function arb${s.tsName}(version: number): fc.Arbitrary<${s.tsName}> {`)
    if (s.fields.length === 0) {
      L.push('  return fc.constant({})')
    } else {
      L.push('  return fc.record({')
      for (const f of s.fields) {
        let base = f.struct ? `arb${f.struct.tsName}(version)` : arbScalar(f.base)
        if (f.isArray) base = `fc.array(${base}, { maxLength: p.ARRAY_MAX })`
        const nc = cond(f.nullable, ctx)
        const pc = cond(intersect(f.versions, ctx), ctx)
        const val = nc === false ? base : nc === true ? `fc.option(${base}, { nil: null })` : `${nc} ? fc.option(${base}, { nil: null }) : ${base}`
        const def = defaultExpr(f)
        if (def.startsWith('create')) creators.add(def.slice(0, def.indexOf('(')))
        const absent = `fc.constant(${def})`
        L.push(`    ${f.prop}: ${pc === true ? val : pc === false ? absent : `${pc} ? ${val} : ${absent}`},`)
      }
      L.push('  }, { noNullPrototype: true })')
    }
    L.push('}', '')
  }
  const head = [
    `// GENERATED by scripts/gen-protocol.ts from ${path.basename(schema.file)} — do not edit.`,
    "import fc from 'fast-check'",
    `import type { ${types.join(', ')} } from '${importPath}'`,
  ]
  if (creators.size > 0) head.push(`import { ${[...creators].sort().join(', ')} } from '${importPath}'`)
  head.push("import * as p from '../primitives.js'", '')
  return head.join('\n') + '\n' + L.join('\n')
}

// ---------------------------------------------------------------------------------------------
// Files

const HEADER = '// GENERATED by scripts/gen-protocol.ts — do not edit.'
const LICENCE = '// Derived from Apache Kafka message schemas (Apache License 2.0); see shared/kafka-protocol/SOURCE.md.'

function kebab(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
}

function codeFor(schemas: Schema[], specLines: string[], extraImports: string[]): string {
  const bodies: string[] = []
  const used = new Set<string>()
  for (const schema of schemas) {
    const e = new Emitter(schema)
    for (const s of schema.structs) e.emitStruct(s)
    bodies.push(e.lines.join('\n'))
    for (const u of e.used) used.add(u)
  }
  const imports: string[] = []
  const readerNames = ['Reader', 'CorruptFrameError'].filter((n) => used.has(n))
  const typeOnlyReader = readerNames.length === 1 && readerNames[0] === 'Reader'
  if (readerNames.length > 0) imports.push(`import ${typeOnlyReader ? 'type ' : ''}{ ${readerNames.map((n) => (n === 'Reader' && !typeOnlyReader ? 'type Reader' : n)).join(', ')} } from '../reader.js'`)
  imports.push("import { Writer } from '../writer.js'")
  const support = ['isZeroUuid', 'nullField', 'unsupportedField'].filter((n) => used.has(n))
  const specTypes = extraImports
  const apiSpecImports = [...specTypes.map((t) => `type ${t}`), ...support]
  if (apiSpecImports.length > 0) imports.push(`import { ${apiSpecImports.join(', ')} } from '../api-spec.js'`)
  return [HEADER, `// Sources: ${schemas.map((s) => path.basename(s.file)).join(', ')}.`, LICENCE, '', ...imports, '', bodies.join('\n'), ...specLines].join('\n').replace(/\n+$/, '\n')
}

export interface ApiEntry {
  apiKey: number
  name: string
  file: string // kebab
  minVersion: number
  maxVersion: number
  flexibleFrom: number | null
}

export function generate(protocolDir: string): Map<string, string> {
  const out = new Map<string, string>()
  const read = (dir: string): Schema[] => {
    const full = path.join(protocolDir, dir)
    return fs.readdirSync(full).filter((f) => f.endsWith('.json')).sort().flatMap((f) => {
      const text = fs.readFileSync(path.join(full, f), 'utf8')
      // Request/response headers are hand-written (src/protocol/headers.ts).
      if (/"type"\s*:\s*"header"/.test(stripComments(text))) return []
      return [loadSchema(path.join(dir, f), text)]
    })
  }

  const messages = read('messages')
  const requests = new Map<number, Schema>()
  const responses = new Map<number, Schema>()
  for (const s of messages) {
    if (s.kind === 'data') continue
    const map = s.kind === 'request' ? requests : responses
    if (map.has(s.apiKey!)) throw new Error(`${s.file}: apiKey ${s.apiKey} used twice`)
    map.set(s.apiKey!, s)
  }
  const entries: ApiEntry[] = []
  for (const [apiKey, req] of [...requests].sort((a, b) => a[0] - b[0])) {
    const res = responses.get(apiKey)
    if (!res) throw new Error(`${req.file}: no response schema`)
    if (!req.name.endsWith('Request') || res.name !== req.name.replace(/Request$/, 'Response')) throw new Error(`${req.file}: request/response names do not pair`)
    if (req.valid.lo !== res.valid.lo || req.valid.hi !== res.valid.hi) throw new Error(`${req.file}: request and response validVersions differ`)
    if (JSON.stringify(req.flexible) !== JSON.stringify(res.flexible)) throw new Error(`${req.file}: request and response flexibleVersions differ`)
    const apiName = req.name.replace(/Request$/, '')
    const file = kebab(apiName)
    entries.push({ apiKey, name: apiName, file, minVersion: req.valid.lo, maxVersion: req.valid.hi, flexibleFrom: req.flexible ? req.flexible.lo : null })
    const spec = [
      `export const ${apiName} = {`,
      `  apiKey: ${apiKey},`,
      `  name: '${apiName}',`,
      `  minVersion: ${req.valid.lo},`,
      `  maxVersion: ${req.valid.hi},`,
      `  flexibleFrom: ${req.flexible ? req.flexible.lo : 'null'},`,
      `  latestVersionUnstable: ${req.latestVersionUnstable},`,
      `  listeners: [${req.listeners.map((l) => `'${l}'`).join(', ')}],`,
      `  decodeRequest: decode${req.name},`,
      `  encodeRequest: encode${req.name},`,
      `  decodeResponse: decode${res.name},`,
      `  encodeResponse: encode${res.name},`,
      `  createRequest: create${req.name},`,
      `  createResponse: create${res.name},`,
      `} as const satisfies ApiSpec<${req.name}, ${res.name}>`,
    ]
    out.set(`src/protocol/messages/${file}.ts`, codeFor([req, res], spec, ['ApiSpec']))
    out.set(`test/support/arbitraries/messages/${file}-request.ts`, emitArbitraries(req, `../../../../src/protocol/messages/${file}.js`))
    out.set(`test/support/arbitraries/messages/${file}-response.ts`, emitArbitraries(res, `../../../../src/protocol/messages/${file}.js`))
  }
  for (const key of responses.keys()) if (!requests.has(key)) throw new Error(`apiKey ${key}: response without request`)

  // Consumer protocol payloads carried as opaque bytes in JoinGroup/SyncGroup.
  const consumer = ['ConsumerProtocolSubscription', 'ConsumerProtocolAssignment'].map((n) => {
    const s = messages.find((m) => m.name === n)
    if (!s) throw new Error(`missing ${n}`)
    return s
  })
  out.set('src/protocol/messages/consumer-protocol.ts', codeFor(consumer, consumer.flatMap(dataSpec), ['DataSpec']))
  for (const s of consumer) {
    out.set(`test/support/arbitraries/messages/${kebab(s.name)}.ts`, emitArbitraries(s, '../../../../src/protocol/messages/consumer-protocol.js'))
  }

  const index = [
    HEADER,
    '',
    "import type { ApiSpec } from '../api-spec.js'",
    ...entries.map((e) => `import { ${e.name} } from './${e.file}.js'`),
    '',
    "export type { ApiSpec } from '../api-spec.js'",
    '',
    '/** Every API key the schemas define, by ascending key. */',
    `export const apiSpecs: readonly ApiSpec[] = [${entries.map((e) => e.name).join(', ')}]`,
    '',
    'const byKey: (ApiSpec | undefined)[] = []',
    'for (const spec of apiSpecs) byKey[spec.apiKey] = spec',
    '',
    'export function apiSpecByKey(apiKey: number): ApiSpec | undefined {',
    '  return byKey[apiKey]',
    '}',
    '',
  ]
  out.set('src/protocol/messages/index.ts', index.join('\n'))

  // The request header decoder needs only each key's range and flexibility: this table lets it
  // (and the broker) load the codecs of the APIs it serves and no others.
  const byKey: (ApiEntry | undefined)[] = []
  for (const e of entries) byKey[e.apiKey] = e
  const versions = [
    HEADER,
    '',
    'export interface ApiVersionRange {',
    '  readonly minVersion: number',
    '  readonly maxVersion: number',
    '  /** First flexible version; null when no version is. */',
    '  readonly flexibleFrom: number | null',
    '}',
    '',
    '/** The schema\'s version range of every API key, indexed by key (undefined for gaps). */',
    'export const apiVersionRanges: readonly (ApiVersionRange | undefined)[] = [',
    ...Array.from(byKey, (e, key) => e === undefined
      ? `  undefined, // ${key}`
      : `  { minVersion: ${e.minVersion}, maxVersion: ${e.maxVersion}, flexibleFrom: ${e.flexibleFrom} }, // ${e.apiKey} ${e.name}`),
    ']',
    '',
  ]
  out.set('src/protocol/messages/versions.ts', versions.join('\n'))

  const arbIndex = [
    HEADER,
    "import type fc from 'fast-check'",
    ...entries.flatMap((e) => [
      `import { arb${e.name}Request } from './${e.file}-request.js'`,
      `import { arb${e.name}Response } from './${e.file}-response.js'`,
    ]),
    ...consumer.map((s) => `import { arb${s.name} } from './${kebab(s.name)}.js'`),
    '',
    '/** Request and response arbitraries per API key. */',
    'type ArbitraryOf = (version: number) => fc.Arbitrary<unknown>',
    '',
    'export const apiArbitraries: ReadonlyMap<number, { request: ArbitraryOf; response: ArbitraryOf }> = new Map<number, { request: ArbitraryOf; response: ArbitraryOf }>([',
    ...entries.map((e) => `  [${e.apiKey}, { request: arb${e.name}Request, response: arb${e.name}Response }],`),
    '])',
    '',
    '/** Arbitraries of the consumer-protocol data schemas, by schema name. */',
    'export const consumerProtocolArbitraries: ReadonlyMap<string, ArbitraryOf> = new Map<string, ArbitraryOf>([',
    ...consumer.map((s) => `  ['${s.name}', arb${s.name}],`),
    '])',
    '',
  ]
  out.set('test/support/arbitraries/messages/index.ts', arbIndex.join('\n'))

  const internal: Schema[] = []
  for (const s of read('internal')) {
    internal.push(s)
    if (s.kind !== 'data') throw new Error(`${s.file}: internal schemas must be data`)
    const file = kebab(s.name)
    out.set(`src/protocol/internal/${file}.ts`, codeFor([s], dataSpec(s), ['DataSpec']))
    out.set(`test/support/arbitraries/internal/${file}.ts`, emitArbitraries(s, `../../../../src/protocol/internal/${file}.js`))
  }
  out.set('test/support/arbitraries/internal/index.ts', [
    HEADER,
    "import type fc from 'fast-check'",
    ...internal.map((s) => `import { arb${s.name} } from './${kebab(s.name)}.js'`),
    '',
    '/** Arbitraries of the internal-topic schemas, by schema name. */',
    'type ArbitraryOf = (version: number) => fc.Arbitrary<unknown>',
    '',
    'export const internalArbitraries: ReadonlyMap<string, ArbitraryOf> = new Map<string, ArbitraryOf>([',
    ...internal.map((s) => `  ['${s.name}', arb${s.name}],`),
    '])',
    '',
  ].join('\n'))

  const internalIndex = [
    HEADER,
    '',
    "import type { DataSpec } from '../api-spec.js'",
    ...internal.map((s) => `import { ${s.name}Spec } from './${kebab(s.name)}.js'`),
    '',
    '/** Every internal-topic schema, by name. */',
    `export const internalSpecs: readonly DataSpec[] = [${internal.map((s) => `${s.name}Spec`).join(', ')}]`,
    '',
  ]
  out.set('src/protocol/internal/index.ts', internalIndex.join('\n'))
  return out
}

function dataSpec(s: Schema): string[] {
  return [
    `export const ${s.name}Spec = {`,
    `  name: '${s.name}',`,
    `  minVersion: ${s.valid.lo},`,
    `  maxVersion: ${s.valid.hi},`,
    `  flexibleFrom: ${s.flexible ? s.flexible.lo : 'null'},`,
    `  decode: decode${s.name},`,
    `  encode: encode${s.name},`,
    `  create: create${s.name},`,
    `} as const satisfies DataSpec<${s.name}>`,
    '',
  ]
}

/** Directories whose *.ts files are all generated (stale ones are removed). */
export const GENERATED_DIRS = ['src/protocol/messages', 'src/protocol/internal', 'test/support/arbitraries/messages', 'test/support/arbitraries/internal']

export function writeGenerated(files: Map<string, string>, root: string): void {
  for (const dir of GENERATED_DIRS) {
    const full = path.join(root, dir)
    fs.mkdirSync(full, { recursive: true })
    for (const f of fs.readdirSync(full)) {
      if (f.endsWith('.ts') && !files.has(`${dir}/${f}`)) fs.rmSync(path.join(full, f))
    }
  }
  for (const [rel, text] of files) {
    const full = path.join(root, rel)
    if (fs.existsSync(full) && fs.readFileSync(full, 'utf8') === text) continue
    fs.writeFileSync(full, text)
  }
}

export function repoRoot(): string {
  // dist/scripts/gen-protocol.js or scripts/gen-protocol.ts → the repository root.
  const here = path.dirname(fileURLToPath(import.meta.url))
  return path.basename(path.dirname(here)) === 'dist' ? path.resolve(here, '../..') : path.resolve(here, '..')
}

export function protocolDir(root: string): string {
  return process.env.GREGOR_PROTOCOL_DIR ?? path.resolve(root, '../shared/kafka-protocol')
}

function main(): void {
  const root = repoRoot()
  const i = process.argv.indexOf('--out')
  const outRoot = i >= 0 ? path.resolve(process.argv[i + 1]) : root
  const files = generate(protocolDir(root))
  writeGenerated(files, outRoot)
  process.stdout.write(`gen-protocol: ${files.size} files in ${outRoot}\n`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main()
