# Parses many exposition bodies with Debian's prometheus_client (JSON in on stdin, JSON out on stdout); used by python.ts.
#
# Input:  {"format": "text" | "openmetrics", "bodies": ["...", ...]}
# Output: [{"ok": true, "families": [...]} | {"ok": false, "error": "...", "errorType": "ValueError"}, ...]
# Non-finite floats are sent as the strings "NaN", "+Inf" and "-Inf" so that the output is strict JSON.
import json
import math
import sys

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families as parse_text


def number(value):
    if value is None:
        return None
    value = float(value)  # also converts prometheus_client.samples.Timestamp
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return value


def sample_to_json(sample):
    exemplar = None
    if sample.exemplar is not None:
        exemplar = {
            "labels": dict(sample.exemplar.labels),
            "value": number(sample.exemplar.value),
            "timestamp": number(sample.exemplar.timestamp),
        }
    return {
        "name": sample.name,
        "labels": dict(sample.labels),
        "value": number(sample.value),
        "timestamp": number(sample.timestamp),
        "exemplar": exemplar,
    }


def parse_one(parse, body):
    try:
        # The parsers are generators: consume everything inside the try.
        families = [
            {
                "name": family.name,
                "type": family.type,
                "documentation": family.documentation,
                "unit": family.unit,
                "samples": [sample_to_json(s) for s in family.samples],
            }
            for family in parse(body)
        ]
        return {"ok": True, "families": families}
    except Exception as e:  # noqa: BLE001 - every parser failure is a result, not a crash
        return {"ok": False, "error": str(e), "errorType": type(e).__name__}


def main():
    request = json.loads(sys.stdin.buffer.read().decode("utf-8", "surrogatepass"))
    parse = parse_openmetrics if request["format"] == "openmetrics" else parse_text
    results = [parse_one(parse, body) for body in request["bodies"]]
    sys.stdout.buffer.write(json.dumps(results, allow_nan=False, ensure_ascii=True).encode("ascii"))


main()
