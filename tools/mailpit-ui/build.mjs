// Builds mailpit's web UI (server/ui-src -> server/ui/dist) in a copy of its Go
// module source. Mirrors mailpit v1.33.1's esbuild.config.mjs, except that
// .scss files go through a small plugin that calls the pure-JS `sass` package:
// esbuild-sass-plugin 3 wants sass-embedded as a peer, whose platform builds
// this project's npm registry does not serve.
// Usage (from the copied module directory, with node_modules beside it):
//   node build.mjs
import * as esbuild from "esbuild";
import pluginVue from "esbuild-plugin-vue-next";
import * as sass from "sass";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.cwd(), "package.json"));

const sassPlugin = {
	name: "sass",
	setup(build) {
		build.onResolve({ filter: /\.scss$/ }, (args) => {
			if (args.path.startsWith(".") || path.isAbsolute(args.path)) {
				return { path: path.resolve(args.resolveDir, args.path) };
			}
			return { path: require.resolve(args.path, { paths: [args.resolveDir] }) };
		});
		build.onLoad({ filter: /\.scss$/ }, (args) => {
			const out = sass.compile(args.path, {
				loadPaths: [path.join(process.cwd(), "node_modules")],
				silenceDeprecations: ["import", "global-builtin", "color-functions", "if-function"],
				quietDeps: true,
			});
			return {
				contents: out.css,
				loader: "css",
				resolveDir: path.dirname(args.path),
				watchFiles: out.loadedUrls.filter((u) => u.protocol === "file:").map((u) => u.pathname),
			};
		});
	},
};

await esbuild.build({
	entryPoints: ["server/ui-src/app.js", "server/ui-src/docs.js"],
	bundle: true,
	minify: true,
	sourcemap: false,
	define: {
		__VUE_OPTIONS_API__: "true",
		__VUE_PROD_DEVTOOLS__: "false",
		__VUE_PROD_HYDRATION_MISMATCH_DETAILS__: "false",
	},
	outdir: "server/ui/dist/",
	plugins: [pluginVue(), sassPlugin],
	loader: { ".svg": "file", ".woff": "file", ".woff2": "file" },
	logLevel: "warning",
});
