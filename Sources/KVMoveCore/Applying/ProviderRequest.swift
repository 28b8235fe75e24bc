import KVMoveSecret

/// One request a provider sends: built once, rendered by dry-run, sent by apply.
///
/// Secrets travel as ``Secret`` values, so every rendering of a request (its description, its
/// JSON encoding, the journal, logs, errors) shows `(sensitive value)` while the transport can
/// still send the real value with ``Secret/reveal()``.
package struct ProviderRequest: Hashable, Sendable, Encodable, CustomStringConvertible {
    /// Whether the request changes anything.
    package enum Effect: String, Hashable, Sendable, Encodable {
        /// Reads or waits; changes nothing.
        case read
        /// Creates, changes or deletes something.
        case change
    }

    /// A parameter value.
    package enum Value: Hashable, Sendable, Encodable, CustomStringConvertible {
        /// A plain value.
        case text(String)
        /// A sensitive value; rendered as `(sensitive value)`.
        case secret(Secret)
        /// An id created by an earlier step; resolved before the request is sent.
        case knownAfterApply(ResourceReference)

        package var description: String {
            switch self {
            case .text(let text): text
            case .secret(let secret): secret.description
            case .knownAfterApply: "(known after apply)"
            }
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(description)
        }
    }

    /// A named parameter; order is kept.
    package struct Parameter: Hashable, Sendable, Encodable {
        package var name: String
        package var value: Value

        package init(_ name: String, _ value: Value) {
            self.name = name
            self.value = value
        }

        package init(_ name: String, _ text: String) {
            self.init(name, .text(text))
        }
    }

    /// Which API or subsystem receives the request, such as `r-kvstore`, `sandbox` or `redis`.
    package var service: String
    /// The action exactly as the transport sends it.
    package var action: String
    package var parameters: [Parameter]
    package var effect: Effect
    /// True when sending it twice has the effect of sending it once (reads, creates with a token).
    package var idempotent: Bool
    /// How the request is awaited, for display: for example `polled until Status=Normal`.
    package var note: String?

    /// Creates a request; reads are idempotent unless said otherwise.
    package init(
        service: String,
        action: String,
        parameters: [Parameter] = [],
        effect: Effect,
        idempotent: Bool? = nil,
        note: String? = nil
    ) {
        self.service = service
        self.action = action
        self.parameters = parameters
        self.effect = effect
        self.idempotent = idempotent ?? (effect == .read)
        self.note = note
    }

    /// The plain value of parameter `name`; nil when absent, secret or not known yet.
    package func text(_ name: String) -> String? {
        guard case .text(let text)? = parameters.first(where: { $0.name == name })?.value else { return nil }
        return text
    }

    /// The secret value of parameter `name`, if it holds one.
    package func secret(_ name: String) -> Secret? {
        guard case .secret(let secret)? = parameters.first(where: { $0.name == name })?.value else { return nil }
        return secret
    }

    /// True when some parameter is still ``Value/knownAfterApply(_:)``.
    package var hasUnknowns: Bool {
        parameters.contains {
            if case .knownAfterApply = $0.value { return true }
            return false
        }
    }

    /// The request with every known-after-apply id filled from `resources`.
    ///
    /// - Throws: ``ProviderError`` when an id is still unknown (an earlier step did not report it).
    package func resolved(with resources: KnownResources) throws(ProviderError) -> ProviderRequest {
        var copy = self
        for index in copy.parameters.indices {
            guard case .knownAfterApply(let reference) = copy.parameters[index].value else { continue }
            guard let id = resources.id(of: reference) else {
                throw ProviderError(
                    source: .kvmove, code: "UnresolvedParameter",
                    message: "\(action) needs the \(reference.rawValue) id for \(copy.parameters[index].name), "
                        + "but no earlier step reported it; run plan again")
            }
            copy.parameters[index].value = .text(id)
        }
        return copy
    }

    /// `service Action Name=value …`, secrets redacted.
    package var description: String {
        ([service, action] + parameters.map { "\($0.name)=\($0.value)" }).joined(separator: " ")
    }
}

/// A resource whose id one step creates and later steps use.
package enum ResourceReference: String, Hashable, Sendable, Codable {
    case group
    case target
}
