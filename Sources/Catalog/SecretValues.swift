import Foundation

/// Values that are secrets by their form, whatever the name they are stored under: part of the
/// redaction rule (`Redaction`), kept apart because it reads text rather than names.
///
/// A value that is partly secret (a URL with a password, a connection string with a key) is
/// treated as one secret: sealed whole and shown whole as the placeholder. Masking only the
/// secret part would need a second, partial placeholder syntax that an update would have to
/// merge back, and every format we failed to parse would leak; whole values cannot.
enum SecretValues {
    /// Schemes of an `Authorization` header value that carry a credential.
    static let authorizationSchemes: Set<String> = ["bearer", "basic"]

    static func isSecret(_ value: JSONValue) -> Bool {
        guard let text = value.stringValue else { return false }
        // Every form below needs a '=' (a connection string), a space (an Authorization value, a
        // PEM header), or a ':' with an '@' or a '?' (a URL with userinfo or a query); most values
        // (model names, versions, plain URLs such as an api_base) have none, and this runs for
        // every value of every deployment a snapshot takes in.
        var colon = false, userinfoOrQuery = false, separator = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "="), UInt8(ascii: " "): separator = true
            case UInt8(ascii: ":"): colon = true
            case UInt8(ascii: "@"), UInt8(ascii: "?"): userinfoOrQuery = true
            default: continue
            }
        }
        guard separator || (colon && userinfoOrQuery) else { return false }
        return isURLWithSecret(text) || isConnectionStringWithSecret(text) || isAuthorizationValue(text)
            || text.contains("PRIVATE KEY-----")
    }

    /// `scheme://user:pass@host/…` (any userinfo), or `scheme://host/…?api_key=…` (a query
    /// parameter with a secret name).
    static func isURLWithSecret(_ text: String) -> Bool {
        guard let schemeEnd = text.range(of: "://") else { return false }
        let rest = text[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if authority.contains("@") { return true }
        guard let query = rest.firstIndex(of: "?") else { return false }
        let parameters = rest[rest.index(after: query)...].prefix { $0 != "#" }.split(separator: "&")
        return parameters.contains { parameter in
            let name = parameter.prefix { $0 != "=" }
            return !name.isEmpty && Redaction.isSecretKey(String(name))
        }
    }

    /// `DefaultEndpointsProtocol=https;AccountName=a;AccountKey=xyz`, `Server=s;Password=p`: a part
    /// `Name=value` whose name is secret and whose value is not empty.
    static func isConnectionStringWithSecret(_ text: String) -> Bool {
        guard text.contains("=") else { return false }
        return text.split(separator: ";").contains { part in
            guard let equals = part.firstIndex(of: "=") else { return false }
            let name = part[..<equals].trimmingCharacters(in: .whitespaces)
            let value = part[part.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, !value.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || " _-.".contains($0) }) else {
                return false
            }
            return Redaction.isSecretKey(name)
        }
    }

    /// `Bearer eyJ…`, `Basic dXNlcjpwYXNz`: a scheme and one credential.
    static func isAuthorizationValue(_ text: String) -> Bool {
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        return words.count == 2 && authorizationSchemes.contains(words[0].lowercased())
    }
}
