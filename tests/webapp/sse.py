"""Read Server-Sent Events from a test response body."""

import json


def parse_events(body: str) -> list[tuple[str | None, object]]:
    """[(event name, decoded data)] for each frame."""
    events = []
    for frame in body.strip().split("\n\n"):
        name, data = None, []
        for line in frame.splitlines():
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: "):
                data.append(line[len("data: "):])
        payload = "\n".join(data)
        events.append((name, payload if payload == "[DONE]" else json.loads(payload)))
    return events
