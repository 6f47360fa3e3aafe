#!/usr/bin/env python3
"""Reference reader of MicroKernel's binary trace format, written from docs/trace-format.md alone.

Usage: python3 tools/mktrace.py FILE.mktrace > FILE.jsonl

Streams the trace record by record (one block in memory at a time: each block decodes alone), checks every CRC-32,
the block index in the trailer and the footer, and prints the same JSON Lines as `mk trace show FILE --jsonl`: a
header line, then one object per event. A test (tests/MicroKernel.Tests/Tracing/PythonReaderTests.cs) runs it on
every built-in scenario's trace and compares the bytes, so the document, this reader and the C# reader cannot drift
apart.

Standard library only: stored blocks and zlib blocks (`mk run --compress zlib`) decode with it. Brotli blocks (`mk
run --compress brotli`, the default codec of --compress) need the third-party `brotli` module (pip install brotli),
used only when such a block comes and the module is installed.

Exit code 0; 2 with a message naming the byte offset when the trace is damaged (like mk); 3 when a block is
compressed with a codec this Python cannot expand (Brotli without the `brotli` module), naming the block and codec.
"""

import base64
import json
import os
import struct
import sys
import zlib

MAGIC = b"MKTRACE\x1a"
VERSION, OLDEST_VERSION = 3, 3
BLOCK_HEADER = 22  # tag, codec, stored length, raw length, event count, first sequence number
FOOTER_MAGIC = b"MKIX"
CODEC_NONE, CODEC_BROTLI, CODEC_ZLIB = 0, 1, 2

# Event kinds (docs/trace-format.md, "Event kinds"): number -> name. Unknown numbers print as the number.
KINDS = {
    0: "ProcessStart", 1: "ProcessExit", 2: "ThreadStart", 3: "ThreadExit", 4: "SyscallEnter", 5: "SyscallExit",
    6: "Fault", 7: "Switch", 8: "Console", 9: "Deadlock", 10: "Idle", 11: "TickLimit", 12: "Restart",
    13: "Delivery", 14: "Upcall", 20: "RpcEnter", 21: "RpcReturn", 24: "Notify", 25: "Wake", 30: "Panic",
    31: "Inject",
}
SYSCALL_ENTER, SYSCALL_EXIT = 4, 5
# Record kinds of version 3 that are not events: a completed syscall (entry and exit in one record), and one equal
# to the block's previous such record but for its time.
SYSCALL_RECORD, SYSCALL_AGAIN = 0xF0, 0xF1

# Field mask bits of an event.
HAS_CODE, HAS_A0, HAS_RESULT, HAS_TEXT, HAS_INSTRUCTIONS, HAS_IO, SAME_CALL = 1, 2, 1 << 7, 1 << 8, 1 << 9, 1 << 10, 1 << 11
KNOWN_BITS = (1 << 12) - 1

FNV_BASIS, FNV_PRIME, MASK64 = 0xCBF29CE484222325, 0x100000001B3, (1 << 64) - 1


class Damaged(Exception):
    """The trace is damaged at a byte offset."""

    def __init__(self, offset, problem):
        super().__init__(f"offset {offset}: {problem}")


class MissingCodec(Exception):
    """A block is compressed with a codec whose module is not installed: the trace is fine, this reader cannot expand it."""

    def __init__(self, offset, problem):
        super().__init__(f"offset {offset}: {problem}")


class Payload:
    """A bounded cursor over one record's payload; `base` is the payload's offset in the file (for messages)."""

    def __init__(self, data, base):
        self.data, self.pos, self.base = data, 0, base

    def byte(self):
        if self.pos >= len(self.data):
            raise Damaged(self.base + self.pos, "an event runs past the end of its block")
        self.pos += 1
        return self.data[self.pos - 1]

    def varint(self):
        value, shift = 0, 0
        while shift < 70:
            b = self.byte()
            value |= (b & 0x7F) << shift
            if b < 0x80:
                if value > MASK64:
                    break
                return value
            shift += 7
        raise Damaged(self.base + self.pos, "a number is longer than 64 bits")

    def zigzag(self):
        v = self.varint()
        return (v >> 1) ^ -(v & 1)

    def bytes(self, n):
        if n > len(self.data) - self.pos:
            raise Damaged(self.base + self.pos, f"{n} bytes announced but the block has {len(self.data) - self.pos} left")
        self.pos += n
        return self.data[self.pos - n:self.pos]


def fnv1a64(h, data):
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & MASK64
    return h


class Decoder:
    """The state that carries from event to event inside one block: time, string table, open syscalls per tid.
    A new Decoder starts each block (nothing carries across blocks)."""

    def __init__(self):
        self.tick, self.strings, self.open, self.last = 0, [], {}, None

    def record(self, p, seq):
        """Decodes one record: a list of one event, or of two (entry, exit) for a syscall record."""
        kind = p.byte()
        if kind == SYSCALL_AGAIN:
            if self.last is None:
                raise Damaged(p.base + p.pos, f"event #{seq}: 'syscall again' with no syscall record before it in its block")
            delta = p.zigzag()
            if delta < 0:
                raise Damaged(p.base + p.pos, f"event #{seq}: virtual time goes backwards")
            self.tick += delta
            return self.pair(dict(self.last, tick=self.tick), seq)
        if kind == SYSCALL_RECORD:
            e = self.event(p, seq + 1, SYSCALL_EXIT, record=True)
            self.last = e if "io" not in e and "instructions" not in e else None
            return self.pair(e, seq)
        return [self.event(p, seq, kind, record=False)]

    @staticmethod
    def pair(exit_event, seq):
        """A syscall record's two events: the entry (the exit's fields, without result and I/O), then the exit."""
        entry = {"seq": seq, "tick": exit_event["tick"], "kind": KINDS[SYSCALL_ENTER], "pid": exit_event["pid"],
                 "tid": exit_event["tid"], "code": exit_event["code"], "syscall": None, "a": exit_event["a"], "result": 0}
        if "instructions" in exit_event:
            entry["instructions"] = exit_event["instructions"]
        return [entry, dict(exit_event, seq=seq + 1)]

    def event(self, p, seq, kind, record):
        mask = p.varint()
        if mask > KNOWN_BITS:
            raise Damaged(p.base + p.pos, f"event #{seq}: unknown field bits 0x{mask:x}")
        delta = p.zigzag()
        if delta < 0:
            raise Damaged(p.base + p.pos, f"event #{seq}: virtual time goes backwards")
        self.tick += delta
        pid, tid = p.varint(), p.varint()
        if record and mask & (HAS_TEXT | SAME_CALL):
            raise Damaged(p.base + p.pos, f"event #{seq}: a syscall record with text or 'same call as entry'")
        code = p.zigzag() if mask & HAS_CODE else 0
        a = [p.varint() if mask & (HAS_A0 << i) else 0 for i in range(6)]
        stack = [] if record else self.open.setdefault(tid, [])
        if mask & SAME_CALL:
            if kind != SYSCALL_EXIT or not stack:
                raise Damaged(p.base + p.pos, f"event #{seq}: 'same call as entry' without an open entry")
            code, a = stack.pop()
        elif kind == SYSCALL_EXIT and stack:
            stack.pop()
        if kind == SYSCALL_ENTER:
            stack.append((code, a))
        e = {"seq": seq, "tick": self.tick, "kind": KINDS.get(kind, str(kind)), "pid": pid, "tid": tid, "code": code}
        if kind in (SYSCALL_ENTER, SYSCALL_EXIT):
            e["syscall"] = None  # filled by the caller, which knows the header's syscall table
        e["a"] = a
        e["result"] = p.zigzag() if mask & HAS_RESULT else 0
        if mask & HAS_TEXT:
            e["text"] = self.text(p)
        instructions = p.zigzag() if mask & HAS_INSTRUCTIONS else 0
        if instructions:
            e["instructions"] = instructions
        if mask & HAS_IO:
            self.io(p, e)
        return e

    def text(self, p):
        v = p.varint()
        if v >= 2:
            if v - 2 >= len(self.strings):
                raise Damaged(p.base + p.pos, f"string #{v - 2} is not defined")
            return self.strings[v - 2]
        s = p.bytes(p.varint()).decode("utf-8")
        if v == 1:
            self.strings.append(s)
        return s

    def io(self, p, e):
        segments, read_digest, missing_read, any_written = [], FNV_BASIS, False, False
        any_read = False
        for _ in range(p.varint()):
            flags = p.byte()
            written, stored = bool(flags & 1), bool(flags & 2)
            address, length = p.varint(), p.varint()
            seg = {"dir": "write" if written else "read", "addr": address, "len": length}
            if stored:
                data = p.bytes(length)
                seg["bytes"] = base64.b64encode(data).decode("ascii")
            if not written:
                any_read = True
                if stored:
                    read_digest = fnv1a64(fnv1a64(fnv1a64(read_digest, address.to_bytes(8, "little")),
                                                  length.to_bytes(8, "little")), data)
                else:
                    missing_read = True
            any_written |= written
            segments.append(seg)
        e["io"] = segments
        if missing_read:
            read_digest = struct.unpack("<Q", p.bytes(8))[0]
        elif not any_read:
            read_digest = 0
        written_digest = struct.unpack("<Q", p.bytes(8))[0] if any_written else 0
        if read_digest:
            e["readDigest"] = f"{read_digest:016x}"
        if written_digest:
            e["writtenDigest"] = f"{written_digest:016x}"


def json_string(s):
    """A JSON string escaped as mk writes it (System.Text.Json with the relaxed encoder)."""
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\b\f\n\r\t":
            out.append({"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif c < 0x20 or 0x7F <= c <= 0x9F or c in (0x2028, 0x2029):
            out.append(f"\\u{c:04X}")
        elif c > 0xFFFF:
            c -= 0x10000
            out.append(f"\\u{0xD800 + (c >> 10):04X}\\u{0xDC00 + (c & 0x3FF):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def to_json(value):
    """Compact JSON in the order the object was built (as mk's Utf8JsonWriter writes it)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json_string(value)
    if isinstance(value, list):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(json_string(k) + ":" + to_json(v) for k, v in value.items()) + "}"
    return json.dumps(value)  # a float: the header has none


def read_exact(f, n, offset, what):
    data = f.read(n)
    if len(data) != n:
        raise Damaged(offset, f"{what} needs {n} bytes but only {len(data)} remain: truncated")
    return data


def expand(codec, stored, raw_length, at, first_seq):
    """A block's events as encoded: stored as they are, or expanded from zlib or Brotli."""
    if codec == CODEC_NONE:
        if raw_length != len(stored):
            raise Damaged(at + 6, f"a stored block of {len(stored)} bytes claims {raw_length} expanded bytes")
        return stored
    if codec == CODEC_ZLIB:
        try:
            raw = zlib.decompress(stored)
        except zlib.error:
            raw = None
    elif codec == CODEC_BROTLI:
        try:
            import brotli  # not in the standard library: Brotli blocks need the brotli package
        except ImportError:
            raise MissingCodec(at + 1, f"the block of events #{first_seq}.. is compressed with Brotli (codec 1), which "
                                       "the Python standard library cannot expand: install the third-party brotli "
                                       "module (pip install brotli), or record with --compress zlib") from None
        try:
            raw = brotli.decompress(stored)
        except brotli.error:
            raw = None
    else:
        raise Damaged(at + 1, f"unknown block codec {codec}")
    if raw is None or len(raw) != raw_length:
        raise Damaged(at, f"the block does not expand to its {raw_length} bytes: the file is damaged")
    return raw


def events(path, out):
    """Streams the trace at `path`, writing the header line and each event's line to `out`."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        fixed = read_exact(f, 14, 0, "the file header")
        if fixed[:8] != MAGIC:
            raise Damaged(0, "not an mktrace file (bad magic bytes)")
        version, header_length = struct.unpack_from("<HI", fixed, 8)
        if not OLDEST_VERSION <= version <= VERSION:
            raise Damaged(8, f"format version {version}, but this reader reads version {VERSION}")
        header_bytes = read_exact(f, header_length, 14, "the header")
        (crc,) = struct.unpack("<I", read_exact(f, 4, 14 + header_length, "the header's CRC"))
        if zlib.crc32(header_bytes) != crc:
            raise Damaged(14, "the header fails its CRC-32 check")
        header = json.loads(header_bytes.decode("utf-8"))
        syscalls = {int(k): v for k, v in header.get("syscalls", {}).items()}
        out.write(to_json({"header": header}) + "\n")

        seq, at, blocks = 0, 14 + header_length + 4, []
        while True:
            tag = f.read(1)
            if not tag:
                raise Damaged(at, f"the trace ends after {seq} events without its trailer: truncated")
            if tag == b"B":
                fields = read_exact(f, BLOCK_HEADER - 1, at + 1, "a block header")
                codec, length, raw_length, count, first_seq = struct.unpack("<BIIIQ", fields)
                end = at + BLOCK_HEADER + length + 4
                if end > size:
                    raise Damaged(at, f"the block starting here needs {end - at} bytes but only {size - at} remain: "
                                      "truncated")
                payload = read_exact(f, length, at + BLOCK_HEADER, "a block")
                (crc,) = struct.unpack("<I", read_exact(f, 4, at + BLOCK_HEADER + length, "a block's CRC"))
                if zlib.crc32(payload, zlib.crc32(fields)) != crc:
                    raise Damaged(at, f"the block of events #{seq}.. fails its CRC-32 check: "
                                      f"the file is damaged between offsets {at} and {end}")
                if count == 0 or count > raw_length:
                    raise Damaged(at + 10, f"block event count {count} is impossible for {raw_length} bytes")
                if first_seq != seq:
                    raise Damaged(at + 14, f"the block starts at event #{first_seq}, but #{seq} comes next")
                raw = expand(codec, payload, raw_length, at, first_seq)
                # Offsets in messages: the file's for a stored block, the block's own for an expanded one.
                p, decoder, first_tick = Payload(raw, at + BLOCK_HEADER if codec == CODEC_NONE else 0), Decoder(), None
                while seq < first_seq + count:  # records: an event each, or a syscall's two
                    decoded = decoder.record(p, seq)
                    if seq + len(decoded) > first_seq + count:
                        raise Damaged(p.base + p.pos, f"event #{seq}: a syscall record past the block's event count")
                    for e in decoded:
                        if "syscall" in e:
                            e["syscall"] = syscalls.get(e["code"], f"syscall_{e['code']}")
                        out.write(to_json(e) + "\n")
                        seq += 1
                        first_tick = e["tick"] if first_tick is None else first_tick
                if p.pos != len(raw):
                    raise Damaged(p.base + p.pos, "stray bytes at the end of a block")
                blocks.append((at, first_seq, count, first_tick, e["tick"]))
                at = end
            elif tag == b"E":
                fields = read_exact(f, 4, at + 1, "the trailer")
                (length,) = struct.unpack("<I", fields)
                payload = read_exact(f, length, at + 5, "the trailer")
                (crc,) = struct.unpack("<I", read_exact(f, 4, at + 5 + length, "the trailer's CRC"))
                if zlib.crc32(payload, zlib.crc32(fields)) != crc:
                    raise Damaged(at, "the trailer fails its CRC-32 check")
                t = Payload(payload, at + 5)
                count, outcome, ticks, switches = t.varint(), t.varint(), t.zigzag(), t.zigzag()
                if count != seq:
                    raise Damaged(at, f"the trailer counts {count} events but the blocks hold {seq}")
                # The block index: it must describe the blocks just read.
                index, offset, tick, first = [], 0, 0, seq - count
                for _ in range(t.varint()):
                    offset += t.varint()
                    n, first_tick = t.varint(), tick + t.varint()
                    tick = first_tick + t.varint()
                    index.append((offset, first, n, first_tick, tick))
                    first += n
                if index != blocks or t.pos != len(payload):
                    raise Damaged(at, "the trailer's block index does not match the blocks")
                footer = read_exact(f, 12, at + 9 + length, "the footer")
                if footer[8:] != FOOTER_MAGIC or struct.unpack_from("<Q", footer)[0] != at:
                    raise Damaged(at + 9 + length, "the footer does not point at the trailer")
                if f.read(1):
                    raise Damaged(at + 9 + length + 12, "bytes follow the trailer")
                return {"events": count, "outcome": outcome, "ticks": ticks, "switches": switches}
            else:
                raise Damaged(at, f"expected a block ('B') or the trailer ('E'), found byte 0x{tag[0]:02x}")


def main(argv):
    if len(argv) != 2:
        print("usage: mktrace.py FILE.mktrace", file=sys.stderr)
        return 1
    out = open(sys.stdout.fileno(), "w", encoding="utf-8", newline="\n", closefd=False)
    try:
        events(argv[1], out)
    except (Damaged, UnicodeDecodeError, ValueError) as e:
        out.flush()
        print(f"{argv[1]}: {e}", file=sys.stderr)
        return 2
    except MissingCodec as e:
        out.flush()
        print(f"{argv[1]}: {e}", file=sys.stderr)
        return 3
    except OSError as e:
        print(f"{argv[1]}: cannot read the file: {e.strerror}", file=sys.stderr)
        return 2
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
