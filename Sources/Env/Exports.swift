// The server speaks the wire types; whoever imports Env gets them too.
@_exported import Wire
