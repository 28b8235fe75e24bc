import KVMoveRESP
import Testing

@Suite("INFO reply parsing")
struct RedisInfoTests {
    private let info = """
        # Server\r
        redis_version:7.0.15\r
        \r
        # Stats\r
        total_connections_received:42\r
        instantaneous_ops_per_sec:0\r
        # Keyspace\r
        db0:keys=3,expires=1,avg_ttl=0\r
        db12:keys=10,expires=0,avg_ttl=0\r
        dbx:keys=1\r
        """

    @Test("name:value lines, headers and blank lines left out")
    func fields() {
        let fields = RedisInfo.fields(info)
        #expect(fields["redis_version"] == "7.0.15")
        #expect(fields["total_connections_received"] == "42")
        #expect(fields["db0"] == "keys=3,expires=1,avg_ttl=0")
        #expect(fields.keys.allSatisfy { !$0.hasPrefix("#") && !$0.isEmpty })
        #expect(fields.count == 6)
    }

    @Test("a value's key=value parts")
    func subfields() {
        #expect(
            RedisInfo.subfields("calls=3,usec=12,usec_per_call=4.00") == [
                "calls": "3", "usec": "12", "usec_per_call": "4.00",
            ])
        #expect(RedisInfo.subfields("") == [:])
    }

    @Test("keys per database from the keyspace section")
    func keysPerDatabase() {
        #expect(RedisInfo.keysPerDatabase(RedisInfo.fields(info)) == [0: 3, 12: 10])
    }
}
