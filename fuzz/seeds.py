#!/usr/bin/env python3
"""Write the seed inputs of each fuzz target into fuzz/corpus/<target>/.

Seeds come from fixtures/ (captures, kernel logs, iperf3 documents) and a
few inputs written here in each target's input format (fuzz/fuzz_*.c says
it).  Re-running rewrites the seed-* files and leaves the rest of each
corpus (what fuzzing found, merged by fuzz/run.sh merge) alone.
Standard library only.
"""
import glob
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "fixtures")
OUT = os.path.join(ROOT, "fuzz", "corpus")

PCAP_TARGETS = ["echo", "vlan", "flow", "frames", "netboot"]
KEY = "0123456789abcdef" * 4


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def pcap_records(data):
    """(caplen, wire, bytes) of each record of a classic pcap."""
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    off = 24
    while off + 16 <= len(data):
        _, _, cap, wire = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        if off + cap > len(data):
            return
        yield cap, wire, data[off:off + cap]
        off += cap


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ipv4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64,
                    proto, 0, bytes(src), bytes(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def eth(dst, src, payload, tags=()):
    b = bytes(dst) + bytes(src)
    for tpid, tci in tags:
        b += struct.pack("!HH", tpid, tci)
    return b + b"\x08\x00" + payload


def pcap(frames):
    b = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
    for i, fr in enumerate(frames):
        b += struct.pack("<IIII", 1000 + i, 0, len(fr), len(fr)) + fr
    return b


def netboot_pcap():
    mac = [0x52, 0x54, 0, 0, 0, 0x0a]
    srv = [0x52, 0x54, 0, 0, 0, 0x0b]
    cli_ip, srv_ip = [192, 0, 2, 100], [192, 0, 2, 1]
    frames = []
    for typ, server in ((1, False), (2, True), (3, False), (5, True)):
        m = bytearray(300)
        m[0] = 2 if server else 1
        m[1], m[2] = 1, 6
        m[28:34] = bytes(mac)
        if server:
            m[16:20] = bytes(cli_ip)
            m[20:24] = bytes(srv_ip)
            m[108:117] = b"nicq.ipxe"
        m[236:240] = b"\x63\x82\x53\x63"
        m[240:243] = bytes([53, 1, typ])
        m[243] = 255
        if server:
            p = ipv4(srv_ip, cli_ip, 17, udp(67, 68, bytes(m)))
            frames.append(eth([0xff] * 6, srv, p))
        else:
            p = ipv4([0] * 4, [255] * 4, 17, udp(68, 67, bytes(m)))
            frames.append(eth([0xff] * 6, mac, p, [(0x8100, 5)]))
    rrq = b"\0\x01nicq.ipxe\0octet\0blksize\0001432\0tsize\0000\0"
    frames.append(eth(srv, mac, ipv4(cli_ip, srv_ip, 17, udp(2000, 69, rrq))))
    oack = b"\0\x06blksize\0001432\0tsize\000100\0"
    frames.append(eth(mac, srv, ipv4(srv_ip, cli_ip, 17,
                                     udp(40000, 2000, oack))))
    for blk, n in ((1, 1432), (1, 1432), (3, 10), (2, 100)):
        d = struct.pack("!HH", 3, blk) + bytes(n)
        frames.append(eth(mac, srv, ipv4(srv_ip, cli_ip, 17,
                                         udp(40000, 2000, d))))
    err = b"\0\x05\0\x01File not found\0"
    frames.append(eth(mac, srv, ipv4(srv_ip, cli_ip, 17,
                                     udp(40001, 2001, err))))
    return pcap(frames)


def echo_pcap():
    a, b = [198, 18, 0, 1], [198, 18, 0, 2]
    frames = []
    for seq in range(4):
        for typ, s, d in ((8, a, b), (0, b, a)):
            icmp = struct.pack("!BBHHH", typ, 0, 0, 0x1234, seq) + bytes(56)
            tags = [(0x9100, 10)] if seq == 2 else []
            frames.append(eth([2] * 6, [4] * 6, ipv4(s, d, 1, icmp), tags))
    return pcap(frames)


def main():
    pcaps = sorted(glob.glob(os.path.join(FIX, "pcap", "*.pcap")))
    own = {"netboot.pcap": netboot_pcap(), "echo-9100.pcap": echo_pcap()}
    for t in PCAP_TARGETS:
        for p in pcaps:
            put(t, os.path.basename(p), read(p))
        for name, data in own.items():
            put(t, name, data)
    # spread: a 2-byte offset splitting the input into two captures
    for p in pcaps[:6]:
        data = read(p)
        put("spread", os.path.basename(p), struct.pack("!H", 0) + data)
    put("spread", "echo-9100.pcap", struct.pack("!H", 0) + own["echo-9100.pcap"])
    # frame: each distinct frame of the captures, with its wire length
    seen = set()
    for p in pcaps + [None]:
        data = read(p) if p else own["netboot.pcap"] + own["echo-9100.pcap"]
        for cap, wire, fr in pcap_records(data):
            key = (wire - cap, fr[:80])
            if key in seen or len(seen) >= 200:
                continue
            seen.add(key)
            hdr = struct.pack("!H", min(0xffff, wire - cap + 0x100))
            put("frame", "%03d" % len(seen), hdr + fr)
    # text inputs
    for p in sorted(glob.glob(os.path.join(FIX, "iperf", "*.json"))):
        put("iperf", os.path.basename(p), read(p))
    # issue 10, item 3: strcmp on NULL, doubles out of int's range
    put("iperf", "issue10-protocol-number.json",
        '{"start":{"test_start":{"protocol":1}},"end":{"sum_sent":{},'
        '"sum_received":{}}}')
    put("iperf", "issue10-range.json",
        '{"start":{"test_start":{"protocol":"UDP","blksize":3e9,'
        '"reverse":1e300}},"end":{"sum_sent":{"bytes":-1,"seconds":1e999,'
        '"retransmits":9.3e18},"sum_received":{"bytes":1.8e19,'
        '"packets":"x","lost_packets":-0.5,"lost_percent":null}}}')
    put("iperf", "snmp.txt",
        "Ip: Forwarding DefaultTTL\nIp: 1 64\n"
        "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors "
        "SndbufErrors InCsumErrors IgnoredMulti MemErrors\n"
        "Udp: 100 2 3 400 5 6 0 0 0\n")
    for p in sorted(glob.glob(os.path.join(FIX, "ledger", "*.txt"))):
        put("ledger", os.path.basename(p), read(p))
    logs = sorted(glob.glob(os.path.join(FIX, "logs", "*.log")))
    for p in logs:
        put("klog", os.path.basename(p), read(p))
        put("console", os.path.basename(p), b"\x07" + read(p))
    put("console", "marker",
        "\x10[    7.1] random: crng init done\r\nNICQ-ERROR unknown MAC\r\n"
        "NICQ-READY hostkey-sha256=%s ifaces=eth0=52:54:00:12:34:56,"
        "eth1=52:54:00:12:34:57\r\nNICQ-RESUMED\r\n" % KEY)
    put("console", "marker-bad",
        "\x01garbage\0NICQ-READY ifaces=eth0=x\nhostkey-sha256=%s\n"
        "Kernel panic - not syncing\nNo bootable device\n" % KEY)
    put("config", "profile",
        "# comment\n[profile]\nbase = full\nping_count = 7\n"
        "ping_sizes = 0;56;1472\ndeadline_scale = 300\n"
        "boot_timeout = 120\nflood_seconds = 30\n")
    put("config", "list", "1;2,3; -4 ;1000")
    put("config", "bad", "[profile]\nbase = nope\n[other]\nx=1\n=\n")
    for name, req in (
            ("get", "GET /disk.img HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("range", "GET /disk.img?x=1 HTTP/1.1\r\nRange: bytes=100-\r\n"
                      "\r\n"),
            ("range2", "HEAD /a HTTP/1.0\r\nrange:\tbytes=5-99 \r\n"
                       "Range: bytes=0-0\r\n\r\n"),
            ("bad", "GET http://x/ HTTP/2\r\n\r\n"),
            ("bare", "bytes=18446744073709551615-")):
        put("httpd", name, struct.pack("<Q", 1000) + req.encode())
    put("kv", "ping",
        "PING 198.18.0.2 (198.18.0.2) 56(84) bytes of data.\n\n"
        "--- 198.18.0.2 ping statistics ---\n"
        "10 packets transmitted, 9 received, +1 errors, 10% packet loss, "
        "time 9012ms\nrtt min/avg/max/mdev = 0.1/0.2/0.3/0.04 ms\n")
    for p in sorted(glob.glob(os.path.join(FIX, "lacp", "*.txt"))):
        put("kv", "lacp-" + os.path.basename(p), read(p))
    put("kv", "words", "sha=abc driver: virtio_net rx=12\na=1\r\n"
        "token=0123\nboot_id=x\nrx=99999999999999999999\n")
    # journal: records as a case's child writes them (from a ping run)
    put("journal", "ping.jsonl", "\n".join([
        '{"kind":"transcript","path":"transcript.txt","k":"artifact"}',
        '{"k":"phase","name":"set-up","at_ms":2}',
        '{"interface":"nqx50wqct16","model":"virtio","pcap":"capture-nqx50wq'
        'ct16.pcap","snaplen":256,"frames":49844,"kernel_dropped":0,'
        '"k":"capture"}',
        '{"channel":"ssh","guest":0,"address":"198.18.10.10","interface":'
        '"nqx50wqct16","model":"virtio","management":false,'
        '"host_key_sha256":"%s","k":"control"}' % KEY,
        '{"index":0,"domain":"nicq-x50wqc-p1-g0","accel":"tcg","boot":'
        '"kernel","start":"booted","memory_mib":384,"start_ms":18970,'
        '"nics":[{"model":"virtio","role":"under_test","mac":'
        '"52:54:00:18:00:10","vhost":false}],"k":"guest"}',
        '{"k":"expect","scope":"ping size 0 interval 0.1","name":"echo '
        'requests ping sent","op":"eq","expected":3,"measured":3,"ok":true,'
        '"evidence":"transcript.txt:12"}',
        '{"k":"expect","name":"loss","op":"le","expected":0.5,"measured":'
        '"12 %","ok":false}',
        '{"k":"observe","scope":"flood size 56","name":"echo requests on '
        'the wire","value":23899}',
        '{"k":"known","defect":"e1000 drops","explains":["loss",1,null]}',
        '{"k":"error","msg":"guest 0 reported at boot: \\u0000x"}',
        '{"k":"skip","reason":"no vhost-net"}',
        '{"k":"nonsense"}',
        '{"k":"expect","name":"x","op":"bogus","ok":true}',
        '{"incomplete":',
    ]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
