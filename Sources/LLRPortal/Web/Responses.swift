import HTTPTypes
import Hummingbird
import LLRCore

/// The headers every answer carries: no caching of partners' data, no
/// framing, no scripts or styles from anywhere else.
func secureHeaders(_ contentType: String) -> HTTPFields {
    var h = HTTPFields()
    h[.contentType] = contentType
    h[.cacheControl] = "no-store"
    h[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
    h[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
    h[HTTPField.Name("Content-Security-Policy")!] =
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'"
    return h
}

func htmlResponse(_ status: Int, _ body: String, cookies: [String] = []) -> Response {
    var h = secureHeaders("text/html; charset=utf-8")
    for c in cookies { h.append(HTTPField(name: .setCookie, value: c)) }
    return Response(status: .init(code: status), headers: h, body: .init(byteBuffer: ByteBuffer(string: body)))
}

func jsonResponse(_ status: Int, _ body: String) -> Response {
    Response(status: .init(code: status), headers: secureHeaders("application/json; charset=utf-8"), body: .init(byteBuffer: ByteBuffer(string: body)))
}

/// `{"error": "…"}` with the status.
func jsonError(_ status: Int, _ message: String) -> Response { jsonResponse(status, "{\"error\": \(jsonString(message))}\n") }

func redirect(_ location: String, cookies: [String] = []) -> Response {
    var h = secureHeaders("text/plain; charset=utf-8")
    h[.location] = location
    for c in cookies { h.append(HTTPField(name: .setCookie, value: c)) }
    return Response(status: .seeOther, headers: h)
}

/// A cookie only this site's pages send back, never readable by a script;
/// `Secure` when the portal sits behind TLS (the proxy says so).
func sessionCookie(_ name: String, _ value: String, maxAge: Int, secure: Bool) -> String {
    "\(name)=\(value); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(maxAge)" + (secure ? "; Secure" : "")
}

func esc(_ s: String) -> String { htmlEscaped(s) }
