#!/usr/bin/env python3
"""Lists and retrieves models of an OpenAI-compatible server with the OpenAI Python SDK.

Used by Tests/CatalogServerTests/ProcessTests.swift against a running `model-catalog serve`.

    python openai_models.py --base-url http://127.0.0.1:4000/v1 --api-key sk-1234

(or OPENAI_BASE_URL / OPENAI_API_KEY in the environment). Prints one JSON object:

    {"ids": [...], "retrieved": {"id": ..., "object": ..., "owned_by": ...},
     "unknown": {"id": ..., "error": "NotFoundError", "status_code": 404}}

and exits non-zero on any error, including when retrieving an unknown model does not raise
openai.NotFoundError.
"""

import argparse
import json
import os
import sys
import uuid

import openai


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL"))
    parser.add_argument("--api-key", default=os.environ.get("OPENAI_API_KEY"))
    parser.add_argument("--retrieve", help="the model to retrieve (default: the first listed)")
    args = parser.parse_args()
    if not args.base_url or not args.api_key:
        parser.error("--base-url and --api-key (or OPENAI_BASE_URL and OPENAI_API_KEY) are required")

    # No retries: a failure must show at once, not after the SDK's back-off.
    client = openai.OpenAI(base_url=args.base_url, api_key=args.api_key, max_retries=0, timeout=20.0)

    page = client.models.list()
    ids = [model.id for model in page]
    if not ids:
        print("models.list() returned no models", file=sys.stderr)
        return 1

    wanted = args.retrieve or ids[0]
    model = client.models.retrieve(wanted)
    if model.id != wanted:
        print(f"models.retrieve({wanted!r}) returned id {model.id!r}", file=sys.stderr)
        return 1

    unknown = f"no-such-model-{uuid.uuid4().hex[:12]}"
    try:
        client.models.retrieve(unknown)
    except openai.NotFoundError as error:
        unknown_result = {"id": unknown, "error": type(error).__name__, "status_code": error.status_code}
    else:
        print(f"models.retrieve({unknown!r}) did not raise openai.NotFoundError", file=sys.stderr)
        return 1

    print(json.dumps({
        "ids": ids,
        "retrieved": {"id": model.id, "object": model.object, "owned_by": model.owned_by},
        "unknown": unknown_result,
    }))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except openai.OpenAIError as error:
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(2)
