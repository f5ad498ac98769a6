"""One router module per part of the API; `clearinghouse.api.app` mounts them all."""
