#!/usr/bin/env python3
"""Writes a few tiny valid inputs per harness into CORPUS_ROOT/<target>/.

Usage: fuzz/make_seeds.py build/fuzz/corpus
The seeds only give libFuzzer a head start; every byte is generated here.
"""
import os
import struct
import sys


def main(root):
    seeds = {}
    tencent_id = "085abb02a06850729bb01479466420d9e102d325"
    og = b"".join(struct.pack("<IQIq", t, k, s, n) for t, k, s, n in
                  [(1, 7, 100, 3), (2, 8, 200, -1), (3, 7, 100, -1), (4, 9, 0, 0x7FFFFFFFFFFFFFFF)])
    seeds["fuzz_trace_reader"] = {
        "oracle": bytes([0, 0]) + og,
        "oracle_zst": bytes([0x08, 0]) + og,
        "oracle_max": bytes([0x80, 0]) + og,
        "csv_default": bytes([1, 0x40 | 0x32 | 0x08]) + b"version,time,op,size,lbn\n1,2,R,512,77\n1,3,W,0,78\n",
        "csv_tab": bytes([1, 0x80 | 0x35]) + b"1.5\tkey\t10\n2\t\"k2\"\t20\n",
        "tr": bytes([2, 0]) + b"1 2 3\n4 5 6\r\n\n7 2 3\n",
        "tr_zst": bytes([2 | 0x08, 0]) + b"1 2 3\n4 5 6\n",
        "txt": bytes([3, 0]) + b"a\nb\n  a  \n007\n7\n",
        "u32be": bytes([4, 0]) + struct.pack(">IIII", 1, 2, 1, 0xFFFFFFFF),
        "tencent": bytes([5, 0]) + ("20160201164604 %s 5 m 12903 1 PHONE 1\n20160201164605 %s 0 b 77 0 PC 2\n"
                                    % (tencent_id, tencent_id)).encode(),
        "tencent_zst_cut": bytes([5 | 0x18, 0]) + ("20160201164604 %s 5 m 12903 1 PHONE 1\n" % tencent_id).encode(),
    }
    seeds["fuzz_http_rules"] = {
        "get": b"GET http://Example.com:80/a/b?x=1#f\nHost: example.com\nCache-Control: max-age=10, no-cache=\"a\"\n"
               b"Range: bytes=0-99\nIf-Range: \"v1\"\nIf-None-Match: W/\"v1\", \"v2\"\n"
               b"If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\n\n"
               b"ETag: \"v1\"\nDate: Sun, 06 Nov 1994 08:49:37 GMT\nLast-Modified: Sunday, 06-Nov-94 08:49:37 GMT\n"
               b"Expires: Sun Nov  6 08:49:37 1994\nCache-Control: public, s-maxage=60, stale-while-revalidate=5\n"
               b"Vary: Accept-Encoding, accept\nAge: 3\nConnection: close, X-Foo\nX-Foo: 1\nContent-Length: 100\n"
               b"Location: ../c?d\n\nETag: \"v1\"\nCache-Control: max-age=100\n",
        "path": b"\x03HEAD /p/../q\nHost: [::1]:8080\nTransfer-Encoding: gzip, chunked\nContent-Length: 5\n"
                b"Pragma: no-cache\nRange: bytes=-5\n\nCache-Control: private=\"x\", must-revalidate\n"
                b"Vary: *\n",
        "chunk": b"POST /x\nHost: a\nTransfer-Encoding: chunked\nX: 1a;ext=\"v\"\n\nX: ffffffffffffffff\n",
        # 'P' picks status 302: an unsafe method whose response names two more keys.
        "invalidate": b"PUT http://a.example/x/y?q\n\nLocation: ../z\nContent-Location: //A.example:80/x/./w\n",
    }
    seeds["fuzz_proxy_config"] = {
        "full": b"listen = \"127.0.0.1:8080\"\norigin = \"http://127.0.0.1:9000\"\nstore = \"memory:\"\n"
                b"capacity = \"1GiB\"\npolicy = \"lru\"\ncontroller = \"static\"\nadmin = \"off\"\nthreads = 2\n"
                b"hot-bytes = \"128MiB\"\n[limits]\n[timeouts]\n[control]\n",
        "args": b"capacity = 1024\n#--\n--listen\n[::1]:80\n--capacity\n2GiB\n--threads\n4\n--origin\nhttps://a:443\n",
    }
    seeds["fuzz_stored_records"] = {
        # Record: version 1, generation 5, size 10, chunkBytes 4, 3 chunks, body hash, chunk hashes, metadata.
        "record": bytes([1]) + struct.pack("<BQQIIQ", 1, 5, 10, 4, 3, 0x1234) + struct.pack("<QQQ", 1, 2, 3)
                  + struct.pack("<I", 3) + b"abc",
        "blob": bytes([3]) + struct.pack("<Q", 4) + b"http" + struct.pack("<QQQQQ", 0, 10, 200, 1, 2)
                + struct.pack("<Q", 0) + struct.pack("<Q", 1) + struct.pack("<Q", 4) + b"Vary"
                + struct.pack("<Q", 1) + b"a" + struct.pack("<Q", 1) + struct.pack("<Q", 1) + b"a",
    }
    # Admin API: flags (0x01 hold present, 0x02 url present), then
    # body NUL hold NUL url NUL Authorization NUL token.
    seeds["fuzz_admin_request"] = {
        "capacity": bytes([0x03]) + b"512MiB\n\x003600\x00http://Example.com:80/a?b\x00Bearer s3cret\x00s3cret",
        "policy": bytes([0x01]) + b" LRU\x002592000\x00\x00bearer  s3cret \x00s3cret",
        "path": bytes([0x02]) + b"belady\x00\x00/p/../q?x=1#f\x00Basic abc\x00",
    }
    # Model files: the shipped models, read here (not committed as copies),
    # framed for fuzz_model_file's modes (0x07: magic, version 2 and the
    # checksum added by the harness; 0x01: checksum only; 0x00: as is).
    models = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "agent", "models")
    seeds["fuzz_model_file"] = {}
    for name in ("edge.ecdrl", "default.ecdrl"):
        with open(os.path.join(models, name), "rb") as f:
            model = f.read()
        version = struct.unpack_from("<I", model, 16)[0]
        stem = name.split(".")[0]
        seeds["fuzz_model_file"][stem + "_raw"] = bytes([0]) + model
        seeds["fuzz_model_file"][stem + "_sum"] = bytes([0x01]) + model[:-8]
        seeds["fuzz_model_file"][stem + "_framed"] = bytes([0x07 | (0x08 if version == 1 else 0)]) + model[20:-8]
    # Hand-made headers (mode 0x07): a repeated architecture field, odd ids.
    def model_header(text):
        return bytes([0x07]) + struct.pack("<Q", len(text)) + text + struct.pack("<I", 0)
    seeds["fuzz_model_file"]["dup_arch"] = model_header(
        b"architecture=" + b",".join([b"global=1"] * 6) + b"\nfeature_schema=s\npolicy_ids=0\n")
    seeds["fuzz_model_file"]["odd_ids"] = model_header(
        b"architecture=global=1,per_policy=1,policies=1,trunk=4x2,embed=1,head=1\nfeature_schema=s\n"
        b"policy_ids=65537,-1, 7,3junk\n")
    for target, files in seeds.items():
        d = os.path.join(root, target)
        os.makedirs(d, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/fuzz/corpus")
