//! edgeddns: dynamic DNS client for routers.
