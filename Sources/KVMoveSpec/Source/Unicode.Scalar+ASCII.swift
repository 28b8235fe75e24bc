extension Unicode.Scalar {
    /// True for `A`–`Z` and `a`–`z`.
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}
