"""What the demo network does once it is up, and the pages it points a newcomer to.

:func:`play` runs the steps a set of real spaces would take (the twinning agreements, a guest
pass and a check-in come with the twinning feature) and returns the tour: a label and a URL per
page worth opening, which ``spazi demo`` prints.
"""

from __future__ import annotations

from node.demo.network import DemoNetwork, Progress


def play(network: DemoNetwork, progress: Progress) -> dict[str, str]:
    """Run the scenario on the started, connected network; the tour of pages to open."""
    first = network.nodes[0]
    return {
        "network page": f"{first.url}/network",
        "events across the network": f"{first.url}/network/events",
    }
