/// Placeholder until the RESP codec lands.
enum RedisWirePlaceholder {}
