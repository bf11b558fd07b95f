// A versioned asset of the quickstart: ask /static/manifest.json for its hashed name.
console.log("gatehouse quickstart");
