/// A JSON array or object kept as the bytes `JSONWriter` writes for it: one allocation however
/// many values it holds.
///
/// A tree of `JSONValue`s costs a dictionary or an array per node: `[{"k":1},{"k":2},…]` took
/// about 18 bytes of memory per byte of JSON on every replica. Snapshots hold the members of
/// `litellm_params` and `model_info` this way (`Deployment.heldForDisplay`) and reads copy the
/// bytes out as they are, so they cost one byte per byte and need no encoding per request.
///
/// Only shown values are kept encoded: the initializer applies the redaction rule for a nested
/// value (`Redaction.shownValue`), so no path can hold or send a secret through here.
public struct EncodedJSON: Sendable, Hashable {
    /// `JSONWriter`'s bytes for the value: canonical, so equal values have equal bytes.
    public let bytes: [UInt8]

    /// `value` (an array or an object) as shown, written once.
    init(showing value: JSONValue) {
        var out: [UInt8] = []
        JSONWriter.write(Redaction.shownValue(value), into: &out)
        bytes = out
    }

    /// A view already shown (`DeploymentView.rendered`), written as it is: only a view, which has
    /// been through redaction, comes here.
    init(view: JSONValue) {
        bytes = JSONWriter.bytes(view)
    }

    /// The value decoded again, for the rare reader that looks inside.
    public var value: JSONValue {
        // The bytes are JSONWriter's own output, which JSONParser always reads back.
        (try? JSONParser.parse(bytes: bytes)) ?? .null
    }

    /// Whether it holds an object (else an array).
    var isObject: Bool { bytes.first == UInt8(ascii: "{") }
}
