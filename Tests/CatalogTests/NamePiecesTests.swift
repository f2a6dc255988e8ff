@testable import Catalog
import Testing

/// The redaction rule splits names into pieces twice over: on bytes for ASCII names (the fast path
/// every snapshot load takes) and on characters for the rest. Both must give the same pieces.
@Suite("Name pieces")
struct NamePiecesTests {
    static let names = [
        "api_key", "apiKey", "XApiKey", "APIKey", "AWSSecret_key", "input_cost_per_token", "use_in_pass_through",
        "x-api-key", "Authorization", "client.secret", "token count", "HTTPSProxyURL", "v2Token", "a1B2c3",
        "ABC", "abc", "A", "_", "__init__", "--", "key2", "max_tokens", "tpm", "RPMLimit", "already_lower",
        "mixedCASEName", "Ends.With.Dot.", " leading space", "", "litellm_credential_name", "camelCase99Bottles",
    ]

    @Test("the ASCII path splits every name as the character path does")
    func samePieces() {
        for name in Self.names {
            #expect(Redaction.asciiPieces(Array(name.utf8)) == Redaction.characterPieces(name), "\(name)")
        }
        #expect(Redaction.namePieces("XApiKey") == ["x", "api", "key"])
        #expect(Redaction.namePieces("AWSSecret_key") == ["aws", "secret", "key"])
        // Non-ASCII names take the character path.
        #expect(Redaction.namePieces("clé_Secrète") == Redaction.characterPieces("clé_Secrète"))
    }
}
