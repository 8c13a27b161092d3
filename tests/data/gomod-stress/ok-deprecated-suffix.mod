module example.com/depsuffix // Deprecated: in the suffix
