import KVMoveCore

/// The OpenAPI client: R-KVStore, VPC and STS calls, signed with the chain's credentials.
///
/// One per provider; its HTTP transport is created with it and closed by ``shutdown()``.
/// Every call returns the JSON and the request id, or throws a classified ``ProviderError``.
package struct AliyunClient: Sendable {
    package let sender: RPCSender
    package let credentials: CredentialsChain
    package let endpoints: Endpoints

    package init(sender: RPCSender, credentials: CredentialsChain, endpoints: Endpoints) {
        self.sender = sender
        self.credentials = credentials
        self.endpoints = endpoints
    }

    /// Calls `action` of `service` in `region` with `parameters` (in order; repeated names allowed).
    package func call(
        _ service: Endpoints.Service, _ action: String, region: String?, _ parameters: [(name: String, value: String)]
    ) async throws(ProviderError) -> RPCSender.Response {
        let signing: AliyunCredentials
        do {
            signing = try await credentials.credentials()
        } catch let error as ProviderError {
            throw error
        } catch {
            throw ProviderError(source: .aliyun, code: "Credentials", message: "\(error)", underlying: error)
        }
        return try await sender.call(
            endpoint: endpoints.endpoint(service, region: region), action: action, version: service.version,
            query: parameters, credentials: signing)
    }

    /// Closes the HTTP connections.
    package func shutdown() async {
        await sender.transport.shutdown()
    }
}
