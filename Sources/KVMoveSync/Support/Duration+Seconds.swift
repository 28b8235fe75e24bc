extension Duration {
    /// The duration in seconds, with fractions.
    var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
