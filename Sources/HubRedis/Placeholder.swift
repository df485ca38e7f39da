enum HubRedisPlaceholder {}
