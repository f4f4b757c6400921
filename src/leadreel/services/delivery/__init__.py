"""Delivery: how a rendered video reaches the prospect (share pages, views, storage backends)."""
