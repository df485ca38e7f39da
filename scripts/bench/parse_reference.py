"""The Python references of `brokerhub bench parse`, on the very messages it measured (scripts/bench-compare.sh).

KIS H0STCNT0: python-kis 2.1.6's own realtime parser (KisWebsocketResponse.parse into KisDomesticRealtimePrice), as
python-kis runs it on each frame's body. Kiwoom REAL 0B: plain `json.loads` and the extraction of the fields BrokerHub
reads (time, price, change, rate, signed volume, accumulated volume/value, open/high/low, best ask/bid) — what a
Python stack does without a client library. Prints one JSON object: records/s by case.

    python parse_reference.py --dir DIR [--seconds 3]
"""
import argparse
import json
import os
import time
from decimal import Decimal


def measure(seconds, one_pass):
    one_pass()  # warm-up
    records = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        records += one_pass()
    return records / (time.perf_counter() - start)


def kis_pass(frames):
    from pykis.api.websocket.price import KisDomesticRealtimePrice
    from pykis.responses.websocket import KisWebsocketResponse

    bodies = []
    for frame in frames:
        _, tr_id, count, body = frame.split("|", 3)
        assert tr_id == "H0STCNT0"
        bodies.append((int(count), body))

    def one_pass():
        records = 0
        for count, body in bodies:
            for _ in KisWebsocketResponse.parse(body, count=count, response_type=KisDomesticRealtimePrice):
                records += 1
        return records

    return one_pass


def kiwoom_pass(messages):
    def one_pass():
        records = 0
        for message in messages:
            document = json.loads(message)
            if document["trnm"] != "REAL":
                continue
            for entry in document["data"]:
                if entry["type"] != "0B":
                    continue
                values = entry["values"]
                time_of_day = values["20"]
                seconds = int(time_of_day[0:2]) * 3600 + int(time_of_day[2:4]) * 60 + int(time_of_day[4:6])
                signed_volume = int(values["15"])
                _ = (
                    entry["item"], seconds, abs(int(values["10"])), abs(signed_volume), signed_volume > 0,
                    int(values["11"]), Decimal(values["12"]), int(values["13"]), int(values["14"]) * 1_000_000,
                    abs(int(values["16"])), abs(int(values["17"])), abs(int(values["18"])),
                    abs(int(values["27"])), abs(int(values["28"])),
                )
                records += 1
        return records

    return one_pass


def lines(path):
    with open(path, encoding="utf-8") as file:
        return [line for line in file.read().split("\n") if line]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--seconds", type=float, default=3)
    args = parser.parse_args()
    figures = {
        "kis_h0stcnt0": measure(args.seconds, kis_pass(lines(os.path.join(args.dir, "kis_h0stcnt0.txt")))),
        "kiwoom_0b": measure(args.seconds, kiwoom_pass(lines(os.path.join(args.dir, "kiwoom_0b.txt")))),
        "kiwoom_0b_broker_sized": measure(args.seconds, kiwoom_pass(lines(os.path.join(args.dir, "kiwoom_0b_broker_sized.txt")))),
    }
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
